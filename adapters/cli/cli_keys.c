/*
 * cli_keys.c - what the key management subcommands share: option values,
 * names, directories, small files, and making one key with its record.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stdlib.h>

#include "cli.h"

#define CLI_KEYS_FILE_MAX (1024 * 1024)

/* cli_keys_name - a domain or selector without final dot into out */
bool cli_keys_name(const char *in, char *out, size_t cap)
{
	size_t n = strlen(in);

	if (n > 0 && in[n - 1] == '.')
		n--;
	if (n == 0 || n >= cap)
		return false;
	memcpy(out, in, n);
	out[n] = '\0';
	return dkmod_valid_domain(out);
}

/* cli_keys_owner_parse - USER or USER:GROUP */
bool cli_keys_owner_parse(const char *v, struct cli_owner *o)
{
	char user[256];
	const char *colon = strchr(v, ':');
	size_t n = colon ? (size_t)(colon - v) : strlen(v);
	unsigned long id;
	if (n == 0 || n >= sizeof user || (colon && !colon[1]))
		return false;
	memcpy(user, v, n);
	user[n] = '\0';
	struct passwd *pw = getpwnam(user);
	if (pw) {
		o->uid = pw->pw_uid;
		o->gid = pw->pw_gid;
	} else if (cli_parse_uint(user, &id) && id < 0xffffffffUL) {
		o->uid = (uid_t)id;
		o->gid = (gid_t)id;
	} else {
		return false;
	}
	if (colon) {
		struct group *gr = getgrnam(colon + 1);
		if (gr)
			o->gid = gr->gr_gid;
		else if (cli_parse_uint(colon + 1, &id) && id < 0xffffffffUL)
			o->gid = (gid_t)id;
		else
			return false;
	}
	o->set = true;
	return true;
}

/* cli_keys_owner_default - the owner of dir or of its nearest existing parent, when run as root */
void cli_keys_owner_default(const char *dir, struct cli_owner *o, bool quiet)
{
	char buf[PATH_MAX];
	struct stat st;
	if (o->set || geteuid() != 0 || strlen(dir) >= sizeof buf)
		return;
	strcpy(buf, dir);
	while (stat(buf, &st) != 0) {
		char *slash = strrchr(buf, '/');
		if (!slash) {
			strcpy(buf, ".");
		} else if (slash == buf) {
			buf[1] = '\0';
		} else {
			*slash = '\0';
			continue;
		}
		if (stat(buf, &st) != 0)
			return;
		break;
	}
	*o = (struct cli_owner){true, st.st_uid, st.st_gid};
	if (st.st_uid == 0 && !quiet)
		fprintf(stderr, "dkmod: note: %s belongs to root, and so will the keys made in it: a mail service that "
				"runs as another user cannot read them (give --owner USER, or chown the directory)\n",
			buf);
}

/* cli_keys_chown - give path to o */
bool cli_keys_chown(const char *path, const struct cli_owner *o)
{
	return !o->set || lchown(path, o->uid, o->gid) == 0;
}

/* cli_keys_mkdirs - create path and its parents (mode 0700, given to o) as needed */
bool cli_keys_mkdirs(const char *path, const struct cli_owner *o)
{
	char buf[PATH_MAX];
	struct stat st;

	if (strlen(path) >= sizeof buf) {
		errno = ENAMETOOLONG;
		return false;
	}
	strcpy(buf, path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		/* key directories hold private keys: nobody else needs to list them */
		if (mkdir(buf, 0700) == 0 ? !cli_keys_chown(buf, o) : errno != EEXIST)
			return false;
		*p = '/';
	}
	if (mkdir(buf, 0700) == 0 ? !cli_keys_chown(buf, o) : errno != EEXIST)
		return false;
	if (stat(buf, &st) != 0)
		return false;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return false;
	}
	return true;
}

/* cli_keys_read - a whole small file as a malloc'd string */
bool cli_keys_read(const char *path, char **out, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *buf = fd < 0 ? NULL : malloc(CLI_KEYS_FILE_MAX + 2);
	size_t have = 0;
	ssize_t n = 0;

	*out = NULL;
	*len = 0;
	if (!buf) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	/* one byte more than allowed is read to tell a file at the limit from a longer one */
	while (have <= CLI_KEYS_FILE_MAX && (n = read(fd, buf + have, CLI_KEYS_FILE_MAX + 1 - have)) > 0)
		have += (size_t)n;
	int saved = have > CLI_KEYS_FILE_MAX ? EFBIG : errno;
	close(fd);
	if (n < 0 || have > CLI_KEYS_FILE_MAX) {
		free(buf);
		errno = saved;
		return false;
	}
	buf[have] = '\0';
	*out = buf;
	*len = have;
	return true;
}

/* cli_keys_write_new - write data to a new file (O_EXCL) of mode; false with errno */
static bool cli_keys_write_new(const char *path, const char *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);

	if (fd < 0)
		return false;
	while (len > 0) {
		ssize_t n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int saved = errno;
			close(fd);
			unlink(path);
			errno = saved;
			return false;
		}
		data += n;
		len -= (size_t)n;
	}
	if (close(fd) != 0) {
		int saved = errno;
		unlink(path);
		errno = saved;
		return false;
	}
	return true;
}

/* cli_keys_refuse - the message for a file that is there already */
static int cli_keys_refuse(const char *path)
{
	fprintf(stderr, "dkmod: %s exists; refusing to overwrite it (move it away or choose another selector)\n", path);
	return CLI_EX_CANTCREAT;
}

/* cli_keys_record - the record and BIND text of k into *bind (with a final line end) and
 * *bind_line; an exit status */
static int cli_keys_record(const struct dkmod_key *k, const char *domain, const char *selector,
			   const struct cli_keyspec *spec, char **bind, char **bind_line)
{
	char owner[600], *data = NULL, *multi = NULL;
	size_t len = 0;
	int rc = CLI_EX_SOFTWARE;

	snprintf(owner, sizeof owner, "%s._domainkey.%s.", selector, domain);
	if (dkmod_key_record(k, spec->method, spec->flags, &data, &len) != DKMOD_OK ||
	    dkmod_key_bind_txt(owner, data, len, true, &multi) != DKMOD_OK ||
	    (bind_line && dkmod_key_bind_txt(owner, data, len, false, bind_line) != DKMOD_OK)) {
		fprintf(stderr, "dkmod: cannot build the key record: %s\n", dkmod_key_error());
	} else if (!(*bind = malloc(strlen(multi) + 2))) {
		fprintf(stderr, "dkmod: out of memory\n");
	} else {
		sprintf(*bind, "%s\n", multi);
		rc = CLI_EX_OK;
	}
	free(data);
	free(multi);
	return rc;
}

/* cli_keys_make - generate a key as DIR/D/S.key with its record in DIR/D/S.txt */
int cli_keys_make(const char *dir, const char *domain, const char *selector, const struct cli_keyspec *spec,
		  char **bind, char **bind_line)
{
	char ddir[PATH_MAX], key[PATH_MAX], txt[PATH_MAX];
	const char *why = "";
	struct stat st;

	*bind = NULL;
	if (bind_line)
		*bind_line = NULL;

	if ((size_t)snprintf(ddir, sizeof ddir, "%s/%s", dir, domain) >= sizeof ddir ||
	    (size_t)snprintf(key, sizeof key, "%s/%s.key", ddir, selector) >= sizeof key ||
	    (size_t)snprintf(txt, sizeof txt, "%s/%s.txt", ddir, selector) >= sizeof txt) {
		fprintf(stderr, "dkmod: the key directory path is too long\n");
		return CLI_EX_USAGE;
	}
	if (!cli_keys_mkdirs(ddir, &spec->owner)) {
		fprintf(stderr, "dkmod: cannot create %s: %s\n", ddir, strerror(errno));
		return CLI_EX_CANTCREAT;
	}
	/* look before generating: a 4096-bit key takes seconds to make */
	if (lstat(key, &st) == 0)
		return cli_keys_refuse(key);
	if (lstat(txt, &st) == 0)
		return cli_keys_refuse(txt);
	struct dkmod_key *k = NULL;
	if (dkmod_key_generate(spec->ed25519 ? DKMOD_KEY_ED25519 : DKMOD_KEY_RSA, spec->bits, &k, &why) != DKMOD_OK) {
		fprintf(stderr, "dkmod: %s: %s\n", why, dkmod_key_error());
		return CLI_EX_SOFTWARE;
	}
	int rc = cli_keys_record(k, domain, selector, spec, bind, bind_line);
	if (rc == CLI_EX_OK && dkmod_key_write_pem(k, key, &why) != DKMOD_OK) {
		if (errno == EEXIST)
			cli_keys_refuse(key);
		else
			fprintf(stderr, "dkmod: cannot write %s: %s\n", key, strerror(errno));
		rc = CLI_EX_CANTCREAT;
	} else if (rc == CLI_EX_OK && !cli_keys_write_new(txt, *bind, strlen(*bind), 0644)) {
		int saved = errno;
		/* a key without its record beside it would be published by nobody */
		unlink(key);
		if (saved == EEXIST)
			cli_keys_refuse(txt);
		else
			fprintf(stderr, "dkmod: cannot write %s: %s\n", txt, strerror(saved));
		rc = CLI_EX_CANTCREAT;
	} else if (rc == CLI_EX_OK && (!cli_keys_chown(key, &spec->owner) || !cli_keys_chown(txt, &spec->owner))) {
		fprintf(stderr, "dkmod: cannot give %s to uid %lu: %s\n", key, (unsigned long)spec->owner.uid,
			strerror(errno));
		unlink(key);
		unlink(txt);
		rc = CLI_EX_CANTCREAT;
	}
	dkmod_key_free(k);
	if (rc != CLI_EX_OK) {
		free(*bind);
		*bind = NULL;
		if (bind_line) {
			free(*bind_line);
			*bind_line = NULL;
		}
	}
	return rc;
}
