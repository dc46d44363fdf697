/*
 * cli_rotate.c - `dkmod rotate`: start this month's selector (YYYY-MM, or
 * YYYY-MM.suffix for a provider), retire the one before, and say which
 * retired selectors are still within the grace period and which are safe to
 * remove.  The state file DIR/D/selectors records when each selector became
 * active and when it was retired; key files found without an entry count as
 * active since their modification time.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static const char cli_rotate_help[] =
	"usage: dkmod rotate --keys DIR --domain D [OPTIONS]\n"
	"  --keys DIR           the key directory (keys in DIR/D/<selector>.key)\n"
	"  --domain D           the signing domain\n"
	"  --grace G            how long a retired selector stays published: Nd, Nh or Ns (default 7d)\n"
	"  --suffix X           selectors YYYY-MM.X instead of YYYY-MM (a separate series)\n"
	"  --now T              the time (seconds since the epoch; default: the clock)\n"
	"  --type T, --bits N   the new key: rsa (default, 2048 bits) or ed25519\n"
	"  --owner USER[:GRP]   give new directories, keys and the state file to USER (run as\n"
	"                       root, the default is the owner of DIR)\n"
	"Output lines: new S, publish RECORD, exists S, active S since TIME, keep S until TIME, remove S.\n"
	"Exit: 0, 64 usage, 65 bad state file, 73 cannot create the key, 74 I/O error, 75 another rotate runs.\n";

struct cli_rotate {
	const char *keys;
	char domain[256];
	char dir[PATH_MAX];
	char state_path[PATH_MAX];
	const char *suffix;
	long long grace;
	long long now;
	struct cli_keyspec spec;
	struct dkmod_key_state st;
};

/* cli_rotate_load - the state file, if any; an exit status */
static int cli_rotate_load(struct cli_rotate *r)
{
	char *text;
	size_t len;

	if (!cli_keys_read(r->state_path, &text, &len)) {
		int saved = errno;
		if (saved == ENOENT)
			return CLI_EX_OK;
		fprintf(stderr, "dkmod: cannot read %s: %s\n", r->state_path, strerror(saved));
		return CLI_EX_IOERR;
	}
	size_t line = dkmod_key_state_parse(&r->st, text, len);
	free(text);
	if (line) {
		fprintf(stderr, "dkmod: %s:%zu: expected \"SELECTOR ACTIVE-SINCE RETIRED-AT\"\n", r->state_path, line);
		return CLI_EX_DATAERR;
	}
	return CLI_EX_OK;
}

/* cli_rotate_sync - forget entries whose key file is gone, adopt key files of the series without one */
static int cli_rotate_sync(struct cli_rotate *r)
{
	char path[PATH_MAX + 320];
	struct stat st;

	for (size_t i = r->st.count; i-- > 0;) {
		const struct dkmod_key_entry *e = &r->st.entries[i];
		snprintf(path, sizeof path, "%s/%s.key", r->dir, e->selector);
		if (stat(path, &st) != 0 && errno == ENOENT)
			dkmod_key_state_remove(&r->st, e->selector);
	}
	DIR *d = opendir(r->dir);
	if (!d) {
		fprintf(stderr, "dkmod: cannot list %s: %s\n", r->dir, strerror(errno));
		return CLI_EX_IOERR;
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		char sel[DKMOD_KEY_MAX_SELECTOR];
		size_t len = strlen(de->d_name);
		if (len <= 4 || len - 4 >= sizeof sel || strcmp(de->d_name + len - 4, ".key") != 0)
			continue;
		memcpy(sel, de->d_name, len - 4);
		sel[len - 4] = '\0';
		snprintf(path, sizeof path, "%s/%s", r->dir, de->d_name);
		if (!dkmod_key_in_series(sel, r->suffix) || dkmod_key_state_find(&r->st, sel) || stat(path, &st) != 0)
			continue;
		if (!dkmod_key_state_add(&r->st, sel, (long long)st.st_mtime, 0)) {
			closedir(d);
			fprintf(stderr, "dkmod: out of memory\n");
			return CLI_EX_SOFTWARE;
		}
	}
	closedir(d);
	dkmod_key_state_sort(&r->st);
	return CLI_EX_OK;
}

/* cli_rotate_save - write the state file through a temporary file and rename */
static int cli_rotate_save(struct cli_rotate *r)
{
	char tmp[PATH_MAX + 8], *text;
	size_t len;

	snprintf(tmp, sizeof tmp, "%s.new", r->state_path);
	if (dkmod_key_state_format(&r->st, &text, &len) != DKMOD_OK) {
		fprintf(stderr, "dkmod: out of memory\n");
		return CLI_EX_SOFTWARE;
	}
	FILE *f = fopen(tmp, "w");
	bool ok = f && fwrite(text, 1, len, f) == len;
	ok = f && fflush(f) == 0 && fsync(fileno(f)) == 0 && ok;
	if (f && fclose(f) != 0)
		ok = false;
	free(text);
	ok = ok && cli_keys_chown(tmp, &r->spec.owner);
	if (!ok || rename(tmp, r->state_path) != 0) {
		fprintf(stderr, "dkmod: cannot write %s: %s\n", r->state_path, strerror(errno));
		unlink(tmp);
		return CLI_EX_IOERR;
	}
	return CLI_EX_OK;
}

/* cli_rotate_start - make the new selector and retire the series before it; an exit status */
static int cli_rotate_start(struct cli_rotate *r, const char *sel)
{
	char *bind = NULL, *line = NULL;

	for (size_t i = 0; i < r->st.count; i++) {
		const struct dkmod_key_entry *e = &r->st.entries[i];
		if (dkmod_key_in_series(e->selector, r->suffix) && e->active > r->now) {
			fprintf(stderr, "dkmod: %s became active after the time given; not rotating backwards\n", e->selector);
			return CLI_EX_DATAERR;
		}
	}
	int rc = cli_keys_make(r->keys, r->domain, sel, &r->spec, &bind, &line);
	if (rc == CLI_EX_OK) {
		dkmod_key_retire(&r->st, r->suffix, r->now);
		if (!dkmod_key_state_add(&r->st, sel, r->now, 0)) {
			fprintf(stderr, "dkmod: out of memory\n");
			rc = CLI_EX_SOFTWARE;
		} else {
			printf("new %s\npublish %s\n", sel, line);
		}
	}
	free(bind);
	free(line);
	return rc;
}

/* cli_rotate_report - one line per selector of the series */
static void cli_rotate_report(struct cli_rotate *r)
{
	char when[32];

	for (size_t i = 0; i < r->st.count; i++) {
		const struct dkmod_key_entry *e = &r->st.entries[i];
		if (!dkmod_key_in_series(e->selector, r->suffix))
			continue;
		switch (dkmod_key_verdict(e, r->now, r->grace)) {
		case DKMOD_KEY_ACTIVE:
			dkmod_key_time(e->active, when, sizeof when);
			printf("active %s since %s\n", e->selector, when);
			break;
		case DKMOD_KEY_KEEP:
			dkmod_key_time(e->retired + r->grace, when, sizeof when);
			printf("keep %s until %s\n", e->selector, when);
			break;
		case DKMOD_KEY_REMOVE:
			printf("remove %s\n", e->selector);
			break;
		}
	}
}

/* cli_rotate_run - lock the domain directory, then rotate; an exit status */
static int cli_rotate_run(struct cli_rotate *r)
{
	char sel[DKMOD_KEY_MAX_SELECTOR];

	if (dkmod_key_selector((time_t)r->now, r->suffix, sel, sizeof sel) < 0)
		return cli_usage_error("--suffix is too long");
	if ((size_t)snprintf(r->dir, sizeof r->dir, "%s/%s", r->keys, r->domain) >= sizeof r->dir ||
	    (size_t)snprintf(r->state_path, sizeof r->state_path, "%s/selectors", r->dir) >= sizeof r->state_path)
		return cli_usage_error("the key directory path is too long");
	cli_keys_owner_default(r->keys, &r->spec.owner, false);
	if (!cli_keys_mkdirs(r->dir, &r->spec.owner)) {
		fprintf(stderr, "dkmod: cannot create %s: %s\n", r->dir, strerror(errno));
		return CLI_EX_CANTCREAT;
	}
	int lock = open(r->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (lock < 0 || flock(lock, LOCK_EX | LOCK_NB) != 0) {
		fprintf(stderr, "dkmod: cannot lock %s: %s\n", r->dir, errno == EWOULDBLOCK ? "another rotate runs" : strerror(errno));
		if (lock >= 0)
			close(lock);
		return CLI_EX_TEMPFAIL;
	}
	int rc = cli_rotate_load(r);
	if (rc == CLI_EX_OK)
		rc = cli_rotate_sync(r);
	if (rc == CLI_EX_OK) {
		if (dkmod_key_state_find(&r->st, sel))
			printf("exists %s\n", sel);
		else
			rc = cli_rotate_start(r, sel);
	}
	if (rc == CLI_EX_OK)
		rc = cli_rotate_save(r);
	if (rc == CLI_EX_OK)
		cli_rotate_report(r);
	close(lock);
	if (rc == CLI_EX_OK && fflush(stdout) != 0)
		rc = CLI_EX_IOERR;
	return rc;
}

/* cli_rotate_suffix_ok - a suffix is one or more DNS labels */
static bool cli_rotate_suffix_ok(const char *s)
{
	return dkmod_valid_domain(s) && strlen(s) + 8 < DKMOD_KEY_MAX_SELECTOR;
}

/* cli_rotate - `dkmod rotate` */
int cli_rotate(int argc, char **argv)
{
	struct cli_rotate r = {.grace = 7 * 86400, .now = (long long)time(NULL), .spec = {.method = DKMOD_METHOD_DKIM, .bits = 2048}};
	const char *domain = NULL, *v;
	bool bits_given = false;
	unsigned long n;

	for (int i = 1; i < argc; i++) {
		bool missing = false;
		const char *a = argv[i];
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(cli_rotate_help, stdout);
			return CLI_EX_OK;
		}
		if ((v = cli_value("--keys", argc, argv, &i, &missing))) {
			r.keys = v;
		} else if ((v = cli_value("--owner", argc, argv, &i, &missing))) {
			if (!cli_keys_owner_parse(v, &r.spec.owner))
				return cli_usage_error("--owner takes USER or USER:GROUP (no such user or group: %s)", v);
		} else if ((v = cli_value("--domain", argc, argv, &i, &missing))) {
			domain = v;
		} else if ((v = cli_value("--grace", argc, argv, &i, &missing))) {
			if ((r.grace = dkmod_key_duration(v)) < 0)
				return cli_usage_error("--grace takes Nd, Nh or Ns (e.g. 7d)");
		} else if ((v = cli_value("--suffix", argc, argv, &i, &missing))) {
			if (!cli_rotate_suffix_ok(v))
				return cli_usage_error("--suffix takes DNS labels (letters, digits, '-', '_')");
			r.suffix = v;
		} else if ((v = cli_value("--now", argc, argv, &i, &missing))) {
			if (!cli_parse_uint(v, &n) || n > 253402300799UL)
				return cli_usage_error("--now takes seconds since the epoch");
			r.now = (long long)n;
		} else if ((v = cli_value("--type", argc, argv, &i, &missing))) {
			if (strcmp(v, "rsa") != 0 && strcmp(v, "ed25519") != 0)
				return cli_usage_error("--type takes rsa or ed25519");
			r.spec.ed25519 = strcmp(v, "ed25519") == 0;
		} else if ((v = cli_value("--bits", argc, argv, &i, &missing))) {
			if (!cli_parse_uint(v, &n) || n < 1024 || n > 4096)
				return cli_usage_error("--bits takes 1024 to 4096");
			r.spec.bits = (unsigned)n;
			bits_given = true;
		} else if (missing) {
			return cli_usage_error("option %s needs a value", a);
		} else {
			return cli_usage_error("rotate: unknown argument %s", a);
		}
	}
	if (!r.keys || !domain)
		return cli_usage_error("rotate needs --keys and --domain");
	if (!cli_keys_name(domain, r.domain, sizeof r.domain))
		return cli_usage_error("rotate: --domain takes a domain name");
	if (r.spec.ed25519 && bits_given)
		return cli_usage_error("--bits is for RSA keys");
	int rc = cli_rotate_run(&r);
	dkmod_key_state_free(&r.st);
	return rc;
}
