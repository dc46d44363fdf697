/*
 * cli_doctor.c - `dkmod doctor [--as USER] [--socket SPEC] FILE`: every file and
 * directory the configuration makes a service running as USER use (the
 * configuration itself, the policy script, the resolver's files, each key file
 * (those of the signing tables' entries and of key templates too), the state directory and its files, the milter's socket directory), judged by
 * USER's owner, group and other permission bits with every directory on the way
 * searchable.  Each problem is printed with the command that fixes it; exit 0
 * when there is none, 78 otherwise.
 */
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/pipeline.h"
#include "cli.h"

#define DOCTOR_USER "dkmod"
#define DOCTOR_SOCKET "unix:/run/dkmod/milter.sock" /* dkmod-milter's default */
#define DOCTOR_MAX_GROUPS 256
#define DOCTOR_MAX_SEEN 1024
#define DOCTOR_EX_NOUSER 67

/* Access bits, as in a mode's rwx triple. */
enum { DOCTOR_R = 4, DOCTOR_W = 2, DOCTOR_X = 1 };

/* The user checked for, and what was found. */
struct doctor {
	const char *config;
	const char *user;
	char group[64];             /* the user's primary group, for chgrp and chown */
	uid_t uid;
	gid_t groups[DOCTOR_MAX_GROUPS];
	int ngroups;
	char *seen[DOCTOR_MAX_SEEN]; /* directories already judged on the way to a path */
	size_t nseen;
	size_t problems, checked;
};

static const char cli_doctor_help[] =
	"usage: dkmod doctor [--as USER] [--socket SPEC] FILE\n"
	"  check that USER (default dkmod), the user the service runs as, can read the\n"
	"  configuration FILE, its policy script, resolver files, signing tables and every\n"
	"  key file (of domain blocks, table entries and key templates), and\n"
	"  read and write the state directory and the directory of the milter socket SPEC\n"
	"  (default " DOCTOR_SOCKET "; inet:... or none: no directory); print each\n"
	"  problem with the command that fixes it; exit 0 if there is none, else 78\n";

/* doctor_in_group - true if the user is a member of gid */
static bool doctor_in_group(const struct doctor *d, gid_t gid)
{
	for (int i = 0; i < d->ngroups; i++)
		if (d->groups[i] == gid)
			return true;
	return false;
}

/* doctor_bits - the DOCTOR_R/W/X bits st grants the user (root: all) */
static unsigned doctor_bits(const struct doctor *d, const struct stat *st)
{
	if (d->uid == 0)
		return DOCTOR_R | DOCTOR_W | DOCTOR_X;
	if (st->st_uid == d->uid)
		return (st->st_mode >> 6) & 7;
	if (doctor_in_group(d, st->st_gid))
		return (st->st_mode >> 3) & 7;
	return st->st_mode & 7;
}

/* doctor_quote - path as one shell word into out */
static const char *doctor_quote(const char *path, char *out, size_t size)
{
	if (strspn(path, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./@%+=:,-") == strlen(path) &&
	    *path) {
		snprintf(out, size, "%s", path);
		return out;
	}
	size_t n = 0;
	out[n++] = '\'';
	for (const char *p = path; *p && n + 5 < size; p++) {
		if (*p == '\'') {
			memcpy(out + n, "'\\''", 4);
			n += 4;
		} else
			out[n++] = *p;
	}
	out[n++] = '\'';
	out[n] = '\0';
	return out;
}

/* doctor_rwx - "r", "rw", "rx", "rwx" ... of bits */
static const char *doctor_rwx(unsigned bits, char out[4])
{
	size_t n = 0;
	if (bits & DOCTOR_R)
		out[n++] = 'r';
	if (bits & DOCTOR_W)
		out[n++] = 'w';
	if (bits & DOCTOR_X)
		out[n++] = 'x';
	out[n] = '\0';
	return out;
}

/* doctor_problem - one problem line and its fix (fix may be NULL: no single command) */
static void doctor_problem(struct doctor *d, const char *what, const char *path, const char *why, const char *fix)
{
	printf("problem: %s %s: %s\n", what, path, why);
	if (fix)
		printf("  fix: %s\n", fix);
	d->problems++;
}

/* doctor_grant - the problem that path lacks bits for the user, with the chmod (and chgrp) that grants them */
static void doctor_grant(struct doctor *d, const char *what, const char *path, const struct stat *st, unsigned bits)
{
	char q[PATH_MAX * 4 + 8], fix[sizeof q * 2 + 200], why[200], rwx[4];
	doctor_quote(path, q, sizeof q);
	doctor_rwx(bits, rwx);
	if (st->st_uid == d->uid)
		snprintf(fix, sizeof fix, "chmod u+%s %s", rwx, q);
	else if (doctor_in_group(d, st->st_gid))
		snprintf(fix, sizeof fix, "chmod g+%s %s", rwx, q);
	else
		snprintf(fix, sizeof fix, "chgrp %s %s && chmod g+%s %s", d->group, q, rwx, q);
	struct passwd *pw = getpwuid(st->st_uid);
	char owner[64];
	snprintf(owner, sizeof owner, "%s", pw ? pw->pw_name : "?");
	struct group *gr = getgrgid(st->st_gid);
	snprintf(why, sizeof why, "user %s lacks %s permission (mode %04o, owner %s, group %s)", d->user, rwx,
		 (unsigned)(st->st_mode & 07777), owner, gr ? gr->gr_name : "?");
	doctor_problem(d, what, path, why, fix);
}

/* doctor_seen - true if a directory or file was judged before; else remember it */
static bool doctor_seen(struct doctor *d, const char *dir)
{
	for (size_t i = 0; i < d->nseen; i++)
		if (strcmp(d->seen[i], dir) == 0)
			return true;
	if (d->nseen < DOCTOR_MAX_SEEN && (d->seen[d->nseen] = strdup(dir)))
		d->nseen++;
	return false;
}

/* doctor_absolute - path made absolute against the working directory; false if too long */
static bool doctor_absolute(const char *path, char out[PATH_MAX])
{
	char cwd[PATH_MAX];
	errno = ENAMETOOLONG;
	if (path[0] == '/')
		return snprintf(out, PATH_MAX, "%s", path) < PATH_MAX;
	if (!getcwd(cwd, sizeof cwd))
		return false;
	return snprintf(out, PATH_MAX, "%s/%s", cwd, path) < PATH_MAX;
}

/* doctor_ancestors - every directory above abs must let the user search it; false if one is missing */
static bool doctor_ancestors(struct doctor *d, const char *abs)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof dir, "%s", abs);
	for (char *slash = strchr(dir + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		struct stat st;
		if (stat(dir, &st) != 0)
			return false;
		if (!S_ISDIR(st.st_mode)) {
			errno = ENOTDIR;
			return false;
		}
		if (!doctor_seen(d, dir) && !(doctor_bits(d, &st) & DOCTOR_X))
			doctor_grant(d, "directory", dir, &st, DOCTOR_X);
		*slash = '/';
	}
	return true;
}

/* doctor_unreachable - after a failed stat: a problem other than absence (errno), with no single
 * fix; true if that was it, false if the path simply does not exist */
static bool doctor_unreachable(struct doctor *d, const char *what, const char *path)
{
	if (errno == ENOENT)
		return false;
	char why[300];
	snprintf(why, sizeof why, "cannot be examined: %s%s", strerror(errno),
		 errno == EACCES ? " (run dkmod doctor as root)" : "");
	doctor_problem(d, what, path, why, NULL);
	return true;
}

/* doctor_missing_dir - the problem of a directory that does not exist, and the install -d that makes it */
static void doctor_missing_dir(struct doctor *d, const char *what, const char *path)
{
	char q[PATH_MAX * 4 + 8], fix[sizeof q + 300];
	snprintf(fix, sizeof fix, "install -d -o %s -g %s -m 0750 %s", d->user, d->group,
		 doctor_quote(path, q, sizeof q));
	doctor_problem(d, what, path, "does not exist", fix);
}

/* doctor_dir - a directory the user must read, write and search, and the files in it read and write */
static void doctor_dir(struct doctor *d, const char *what, const char *path)
{
	char abs[PATH_MAX], file[PATH_MAX];
	struct stat st;
	size_t before = d->problems;
	d->checked++;
	if (!doctor_absolute(path, abs) || !doctor_ancestors(d, abs) || stat(abs, &st) != 0) {
		if (!doctor_unreachable(d, what, path))
			doctor_missing_dir(d, what, path);
		return;
	}
	if (!S_ISDIR(st.st_mode)) {
		doctor_problem(d, what, path, "is not a directory", NULL);
		return;
	}
	unsigned lack = (DOCTOR_R | DOCTOR_W | DOCTOR_X) & ~doctor_bits(d, &st);
	if (lack)
		doctor_grant(d, what, path, &st, lack);
	DIR *dh = opendir(abs);
	for (struct dirent *e; dh && (e = readdir(dh));) {
		if (snprintf(file, sizeof file, "%s/%s", abs, e->d_name) >= (int)sizeof file ||
		    lstat(file, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		lack = (DOCTOR_R | DOCTOR_W) & ~doctor_bits(d, &st);
		if (lack)
			doctor_grant(d, "state file", file, &st, lack);
	}
	if (dh)
		closedir(dh);
	if (d->problems == before)
		printf("ok: %s %s\n", what, path);
}

/* doctor_key_fix - the keygen command that makes path, if it has the layout DIR/DOMAIN/SELECTOR.key */
static const char *doctor_key_fix(const char *path, const char *domain, const char *selector, char *out, size_t size)
{
	char tail[600], q[PATH_MAX * 4 + 8], dir[PATH_MAX];
	size_t n = strlen(path), t = (size_t)snprintf(tail, sizeof tail, "/%s/%s.key", domain, selector);
	if (t >= sizeof tail || n <= t || strcmp(path + n - t, tail) != 0 || n - t >= sizeof dir)
		return NULL;
	memcpy(dir, path, n - t);
	dir[n - t] = '\0';
	snprintf(out, size, "dkmod keygen --domain %s --selector %s --out %s", domain, selector,
		 doctor_quote(dir, q, sizeof q));
	return out;
}

/* doctor_file - a file the user must read (a key: and no other user may read or write; domain and
 * selector, when known, give the keygen command that makes a missing one) */
static void doctor_file(struct doctor *d, const char *what, const char *path, bool key, const char *domain,
			const char *selector)
{
	char abs[PATH_MAX], q[PATH_MAX * 4 + 8], fix[sizeof q + 300];
	struct stat st;
	size_t before = d->problems;
	if (doctor_absolute(path, abs) && doctor_seen(d, abs))
		return; /* named twice (a domain block and a table entry): judged once */
	d->checked++;
	if (!doctor_absolute(path, abs) || !doctor_ancestors(d, abs) || stat(abs, &st) != 0) {
		if (doctor_unreachable(d, what, path))
			return;
		const char *how = domain ? doctor_key_fix(path, domain, selector, fix, sizeof fix) : NULL;
		doctor_problem(d, what, path, "does not exist", how);
		if (!how)
			printf("  fix: create it, or correct its path in %s\n", d->config);
		return;
	}
	if (!S_ISREG(st.st_mode)) {
		doctor_problem(d, what, path, "is not a regular file", NULL);
		return;
	}
	if (!(doctor_bits(d, &st) & DOCTOR_R))
		doctor_grant(d, what, path, &st, DOCTOR_R);
	const char *refused = key ? dkmod_key_file_rule(st.st_mode, st.st_uid, d->uid) : NULL;
	if (refused) { /* the signer's own rule (doc/SECURITY.md, "Private key files") */
		if (st.st_mode & (S_IWGRP | S_IRWXO))
			snprintf(fix, sizeof fix, "chmod go-w,o-rwx %s", doctor_quote(path, q, sizeof q));
		else
			snprintf(fix, sizeof fix, "chown %s %s", d->user, doctor_quote(path, q, sizeof q));
		doctor_problem(d, what, path, refused, fix);
	}
	if (d->problems == before)
		printf("ok: %s %s\n", what, path);
}

/* doctor_path - pipeline_paths' callback: judge one path by its kind */
static void doctor_path(void *arg, enum pipeline_path_kind kind, const char *path, const char *domain,
			const char *selector)
{
	static const char *const what[] = {"configuration", "policy script", "resolver file", "key file",
					   "state directory", "signing table"};
	struct doctor *d = arg;
	if (kind == PIPELINE_PATH_STATE_DIR)
		doctor_dir(d, what[kind], path);
	else
		doctor_file(d, what[kind], path, kind == PIPELINE_PATH_KEY, domain, selector);
}

/* doctor_socket - the directory of a unix socket SPEC must be the user's to write in */
static void doctor_socket(struct doctor *d, const char *spec)
{
	const char *path = NULL;
	if (strncmp(spec, "unix:", 5) == 0 || strncmp(spec, "local:", 6) == 0)
		path = strchr(spec, ':') + 1;
	else if (spec[0] == '/')
		path = spec;
	if (!path) {
		printf("ok: socket %s (no directory to check)\n", spec);
		return;
	}
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	if (!slash || (size_t)(slash - path) >= sizeof dir) {
		doctor_problem(d, "socket", spec, "is not an absolute path", NULL);
		return;
	}
	size_t n = slash == path ? 1 : (size_t)(slash - path);
	memcpy(dir, path, n);
	dir[n] = '\0';
	doctor_dir(d, "socket directory", dir);
}

/* doctor_user - look the user and its groups up; false (after a message) if there is no such user */
static bool doctor_user(struct doctor *d, const char *name)
{
	struct passwd *pw = getpwnam(name);
	if (!pw) {
		fprintf(stderr, "dkmod: no user '%s' (create it: adduser --system --group %s)\n", name, name);
		return false;
	}
	d->user = name;
	d->uid = pw->pw_uid;
	d->ngroups = DOCTOR_MAX_GROUPS;
	if (getgrouplist(name, pw->pw_gid, d->groups, &d->ngroups) < 0)
		d->ngroups = DOCTOR_MAX_GROUPS;
	struct group *gr = getgrgid(pw->pw_gid);
	if (gr)
		snprintf(d->group, sizeof d->group, "%s", gr->gr_name);
	else
		snprintf(d->group, sizeof d->group, "%u", (unsigned)pw->pw_gid);
	return true;
}

/* cli_doctor_report - a configuration error line on standard error */
static void cli_doctor_report(void *arg, const char *line)
{
	(void)arg;
	fprintf(stderr, "%s\n", line);
}

/* cli_doctor - `dkmod doctor` */
int cli_doctor(int argc, char **argv)
{
	const char *user = DOCTOR_USER, *socket = DOCTOR_SOCKET, *config = NULL, *v;
	bool missing = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(cli_doctor_help, stdout);
			return CLI_EX_OK;
		} else if ((v = cli_value("--as", argc, argv, &i, &missing)))
			user = v;
		else if ((v = cli_value("--socket", argc, argv, &i, &missing)))
			socket = v;
		else if (missing)
			return cli_usage_error("%s needs a value", argv[i]);
		else if (argv[i][0] == '-' || config)
			return cli_usage_error("doctor takes options and one configuration file");
		else
			config = argv[i];
	}
	if (!config)
		return cli_usage_error("doctor needs a configuration file");
	struct doctor d = {.config = config};
	if (!doctor_user(&d, user))
		return DOCTOR_EX_NOUSER;
	printf("dkmod doctor: %s as user %s (uid %u)\n", config, user, (unsigned)d.uid);
	if (pipeline_paths(config, doctor_path, &d, cli_doctor_report, NULL))
		return CLI_EX_CONFIG;
	if (strcmp(socket, "none") != 0)
		doctor_socket(&d, socket);
	for (size_t i = 0; i < d.nseen; i++)
		free(d.seen[i]);
	if (d.problems) {
		printf("dkmod doctor: %zu problem%s for user %s\n", d.problems, d.problems == 1 ? "" : "s", user);
		return CLI_EX_CONFIG;
	}
	printf("dkmod doctor: ok (%zu paths checked for user %s)\n", d.checked, user);
	return CLI_EX_OK;
}
