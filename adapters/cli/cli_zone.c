/*
 * cli_zone.c - `dkmod zone`: one zone fragment with the key record of every
 * DIR/<domain>/<selector>.key (the public key derived from the private key,
 * flags from the .txt beside it), absolute for a zone-file import or relative
 * to --origin for a delegated zone; optional DomainKeys and ADSP policy
 * records; for providers, records under their own key zone and the CNAMEs
 * their customers publish.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "cli.h"

static const char cli_zone_help[] =
	"usage: dkmod zone --keys DIR [OPTIONS]\n"
	"  --keys DIR           the keys: DIR/<domain>/<selector>.key (and .txt for the flags)\n"
	"  --domain D           only the records of D (repeatable): policies are per domain\n"
	"  --origin O           names relative to O (a delegated _domainkey zone, say); records\n"
	"                       outside O are left out; default: absolute names\n"
	"  --policy-dk P        also the DomainKeys policy _domainkey.D: P is o=- (signs all) or 'o=~'\n"
	"  --policy-testing     with --policy-dk: t=y\n"
	"  --adsp A             also the ADSP record _adsp._domainkey.D: unknown, all or discardable\n"
	"  --provider-zone Z    key records at S._domainkey.D.Z, the zone a provider serves\n"
	"  --cnames             with --provider-zone: print the CNAMEs customers publish instead\n"
	"Exit: 0, 64 usage, 65 a key could not be used, 66 no keys.\n";

#define CLI_ZONE_DOMAINS 16

struct cli_zone {
	const char *keys;
	char domains[CLI_ZONE_DOMAINS][256]; /* --domain: only these */
	size_t ndomains, shown;
	const char *origin;
	const char *policy_dk;
	bool policy_testing;
	const char *adsp;
	const char *provider;
	bool cnames;
	size_t printed;
	size_t outside;
	int rc;
};

/* cli_zone_cmp - bytewise order of directory entries, whatever the locale */
static int cli_zone_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* cli_zone_owner - the owner to print for an absolute name (no final dot), or NULL if outside --origin */
static const char *cli_zone_owner(struct cli_zone *z, const char *name, char *buf, size_t cap)
{
	if (z->origin) {
		const char *rel = dkmod_key_relative(name, z->origin, buf, cap);
		if (!rel)
			z->outside++;
		return rel;
	}
	if ((size_t)snprintf(buf, cap, "%s.", name) >= cap)
		return NULL;
	return buf;
}

/* cli_zone_txt - print one TXT record at an absolute name */
static void cli_zone_txt(struct cli_zone *z, const char *name, const char *data, size_t len)
{
	char owner[512], *out = NULL;

	if (!cli_zone_owner(z, name, owner, sizeof owner))
		return;
	if (dkmod_key_bind_txt(owner, data, len, true, &out) != DKMOD_OK) {
		fprintf(stderr, "dkmod: out of memory\n");
		z->rc = CLI_EX_SOFTWARE;
	} else {
		puts(out);
		z->printed++;
	}
	free(out);
}

/* cli_zone_flags - method and flags from the .txt beside a key, if there is one */
static void cli_zone_flags(const char *txt, enum dkmod_key_type kt, enum dkmod_method *m, unsigned *flags)
{
	char *text = NULL, *data = NULL;
	size_t text_len, data_len;
	enum dkmod_key_type t;

	*m = DKMOD_METHOD_DKIM;
	*flags = 0;
	if (!cli_keys_read(txt, &text, &text_len)) {
		if (errno != ENOENT)
			fprintf(stderr, "dkmod: warning: cannot read %s: %s; a plain record follows\n", txt, strerror(errno));
	} else if (dkmod_key_bind_strings(text, text_len, &data, &data_len) != DKMOD_OK ||
		   !dkmod_key_record_info(data, data_len, m, flags, &t)) {
		fprintf(stderr, "dkmod: warning: %s holds no key record; a plain record follows\n", txt);
		*m = DKMOD_METHOD_DKIM;
		*flags = 0;
	} else if (t != kt) {
		fprintf(stderr, "dkmod: warning: %s is for another key type; a plain record follows\n", txt);
		*m = DKMOD_METHOD_DKIM;
		*flags = 0;
	}
	free(text);
	free(data);
}

/* cli_zone_key - the record of one key file */
static void cli_zone_key(struct cli_zone *z, const char *domain, const char *dir, const char *selector)
{
	char key[PATH_MAX], txt[PATH_MAX], name[800];
	const char *why = "";
	enum dkmod_method m;
	unsigned flags;

	if ((size_t)snprintf(key, sizeof key, "%s/%s.key", dir, selector) >= sizeof key ||
	    (size_t)snprintf(txt, sizeof txt, "%s/%s.txt", dir, selector) >= sizeof txt) {
		fprintf(stderr, "dkmod: %s/%s.key: path too long; left out\n", dir, selector);
		z->rc = CLI_EX_DATAERR;
		return;
	}
	struct dkmod_key *k = NULL;
	if (dkmod_key_load(key, &k, &why) != DKMOD_OK) {
		fprintf(stderr, "dkmod: %s: %s; left out\n", key, why);
		z->rc = CLI_EX_DATAERR;
		return;
	}
	cli_zone_flags(txt, dkmod_key_type(k), &m, &flags);
	if (z->provider)
		snprintf(name, sizeof name, "%s._domainkey.%s.%s", selector, domain, z->provider);
	else
		snprintf(name, sizeof name, "%s._domainkey.%s", selector, domain);
	if (strlen(name) > 253) {
		fprintf(stderr, "dkmod: %s: the name %s is too long for DNS; left out\n", key, name);
		z->rc = CLI_EX_DATAERR;
	} else if (z->cnames) {
		char owner[600], alias[600];
		snprintf(alias, sizeof alias, "%s._domainkey.%s", selector, domain);
		if (cli_zone_owner(z, alias, owner, sizeof owner)) {
			printf("%s IN CNAME %s.\n", owner, name);
			z->printed++;
		}
	} else {
		char *data = NULL;
		size_t len;
		enum dkmod_status st = dkmod_key_record(k, m, flags, &data, &len);
		if (st == DKMOD_ECRYPTO) {
			fprintf(stderr, "dkmod: %s: %s; left out\n", key, dkmod_key_error());
			z->rc = CLI_EX_DATAERR;
		} else if (st != DKMOD_OK) {
			fprintf(stderr, "dkmod: %s: cannot build its record\n", key);
			z->rc = CLI_EX_DATAERR;
		} else {
			cli_zone_txt(z, name, data, len);
		}
		free(data);
	}
	dkmod_key_free(k);
}

/* cli_zone_policies - the DomainKeys and ADSP policy records of one domain */
static void cli_zone_policies(struct cli_zone *z, const char *domain)
{
	char name[300], data[64];

	if (z->policy_dk) {
		snprintf(name, sizeof name, "_domainkey.%s", domain);
		snprintf(data, sizeof data, "%s%s", z->policy_dk, z->policy_testing ? "; t=y" : "");
		cli_zone_txt(z, name, data, strlen(data));
	}
	if (z->adsp) {
		snprintf(name, sizeof name, "_adsp._domainkey.%s", domain);
		snprintf(data, sizeof data, "dkim=%s", z->adsp);
		cli_zone_txt(z, name, data, strlen(data));
	}
}

/* cli_zone_domain - every key of one domain directory; the number of keys */
static size_t cli_zone_domain(struct cli_zone *z, const char *domain)
{
	char dir[PATH_MAX], sel[256];
	struct dirent **names;
	size_t keys = 0;

	if ((size_t)snprintf(dir, sizeof dir, "%s/%s", z->keys, domain) >= sizeof dir)
		return 0;
	int n = scandir(dir, &names, NULL, cli_zone_cmp);
	if (n < 0) {
		fprintf(stderr, "dkmod: cannot list %s: %s\n", dir, strerror(errno));
		z->rc = CLI_EX_DATAERR;
		return 0;
	}
	for (int i = 0; i < n; i++) {
		const char *f = names[i]->d_name;
		size_t len = strlen(f);
		if (len > 4 && strcmp(f + len - 4, ".key") == 0 && len - 4 < sizeof sel) {
			memcpy(sel, f, len - 4);
			sel[len - 4] = '\0';
			if (dkmod_valid_domain(sel)) {
				cli_zone_key(z, domain, dir, sel);
				keys++;
			} else {
				fprintf(stderr, "dkmod: warning: %s/%s: not a selector name; left out\n", dir, f);
			}
		}
		free(names[i]);
	}
	free(names);
	if (keys > 0 && !z->provider)
		cli_zone_policies(z, domain);
	return keys;
}

/* cli_zone_wanted - whether the records of domain d are asked for */
static bool cli_zone_wanted(const struct cli_zone *z, const char *d)
{
	for (size_t i = 0; i < z->ndomains; i++)
		if (strcasecmp(z->domains[i], d) == 0)
			return true;
	return z->ndomains == 0;
}

/* cli_zone_run - every domain directory under --keys */
static int cli_zone_run(struct cli_zone *z)
{
	struct dirent **names;
	size_t keys = 0;

	int n = scandir(z->keys, &names, NULL, cli_zone_cmp);
	if (n < 0) {
		fprintf(stderr, "dkmod: cannot list %s: %s\n", z->keys, strerror(errno));
		return CLI_EX_NOINPUT;
	}
	if (z->origin)
		printf("; dkmod zone: keys of %s, names relative to %s.\n", z->keys, z->origin);
	else
		printf("; dkmod zone: keys of %s\n", z->keys);
	for (int i = 0; i < n; i++) {
		char path[PATH_MAX];
		struct stat st;
		const char *d = names[i]->d_name;
		if (d[0] != '.' && (size_t)snprintf(path, sizeof path, "%s/%s", z->keys, d) < sizeof path &&
		    stat(path, &st) == 0 && S_ISDIR(st.st_mode) && dkmod_valid_domain(d) && cli_zone_wanted(z, d)) {
			size_t k = cli_zone_domain(z, d);
			keys += k;
			z->shown += k > 0;
		}
		free(names[i]);
	}
	free(names);
	if (keys == 0) {
		fprintf(stderr, "dkmod: no keys under %s%s%s (expected DIR/<domain>/<selector>.key)\n", z->keys,
			z->ndomains ? " for " : "", z->ndomains ? z->domains[0] : "");
		return CLI_EX_NOINPUT;
	}
	if ((z->policy_dk || z->adsp) && z->shown > 1 && z->ndomains == 0)
		fprintf(stderr, "dkmod: note: the policy records were given to all %zu domains of %s; --domain D gives "
				"them to D only\n", z->shown, z->keys);
	if (z->outside)
		fprintf(stderr, "dkmod: warning: %zu records are not within %s; left out\n", z->outside, z->origin);
	if (z->printed == 0 && z->rc == CLI_EX_OK)
		z->rc = CLI_EX_DATAERR;
	if (fflush(stdout) != 0)
		return CLI_EX_IOERR;
	return z->rc;
}

/* cli_zone - `dkmod zone` */
int cli_zone(int argc, char **argv)
{
	struct cli_zone z = {0};
	static char origin[256], provider[256];
	const char *v;

	for (int i = 1; i < argc; i++) {
		bool missing = false;
		const char *a = argv[i];
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(cli_zone_help, stdout);
			return CLI_EX_OK;
		}
		if (strcmp(a, "--policy-testing") == 0) {
			z.policy_testing = true;
		} else if (strcmp(a, "--cnames") == 0) {
			z.cnames = true;
		} else if ((v = cli_value("--keys", argc, argv, &i, &missing))) {
			z.keys = v;
		} else if ((v = cli_value("--domain", argc, argv, &i, &missing))) {
			if (z.ndomains == CLI_ZONE_DOMAINS)
				return cli_usage_error("at most %d --domain options", CLI_ZONE_DOMAINS);
			if (!cli_keys_name(v, z.domains[z.ndomains++], sizeof z.domains[0]))
				return cli_usage_error("--domain takes a domain name");
		} else if ((v = cli_value("--origin", argc, argv, &i, &missing))) {
			if (!cli_keys_name(v, origin, sizeof origin))
				return cli_usage_error("--origin takes a domain name");
			z.origin = origin;
		} else if ((v = cli_value("--provider-zone", argc, argv, &i, &missing))) {
			if (!cli_keys_name(v, provider, sizeof provider))
				return cli_usage_error("--provider-zone takes a domain name");
			z.provider = provider;
		} else if ((v = cli_value("--policy-dk", argc, argv, &i, &missing))) {
			if (strcmp(v, "o=-") != 0 && strcmp(v, "o=~") != 0)
				return cli_usage_error("--policy-dk takes o=- or o=~ (quote it: the shell turns o=~ into a path)");
			z.policy_dk = v;
		} else if ((v = cli_value("--adsp", argc, argv, &i, &missing))) {
			if (strcmp(v, "unknown") != 0 && strcmp(v, "all") != 0 && strcmp(v, "discardable") != 0)
				return cli_usage_error("--adsp takes unknown, all or discardable");
			z.adsp = v;
		} else if (missing) {
			return cli_usage_error("option %s needs a value", a);
		} else {
			return cli_usage_error("zone: unknown argument %s", a);
		}
	}
	if (!z.keys)
		return cli_usage_error("zone needs --keys DIR");
	if (z.policy_testing && !z.policy_dk)
		return cli_usage_error("--policy-testing goes with --policy-dk");
	if (z.cnames && !z.provider)
		return cli_usage_error("--cnames goes with --provider-zone");
	if (z.provider && (z.policy_dk || z.adsp))
		return cli_usage_error("policy records belong in the domain's own zone, not under --provider-zone");
	return cli_zone_run(&z);
}
