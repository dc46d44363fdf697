/*
 * cli_report.c - `dkmod report`: the DMARC aggregate reports (RFC 9990) of the periods that
 * have ended, one per policy domain and period, checked against each rua= destination's
 * authorization, gzip'd and handed to sendmail or written to a directory, then removed from
 * the state; `--export FILE` moves a host's closed periods to a file instead, and `--import
 * FILE` merges such files (of the other hosts of a site) before reporting.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../lua/conf.h"
#include "cli.h"

#define CLI_REPORT_DEFAULT_STATE "/var/lib/dkmod"
#define CLI_REPORT_MAX_IMPORTS 64

static const char cli_report_help[] =
	"usage: dkmod report [--config FILE] [--state DIR] [--dir DIR | --sendmail PATH]\n"
	"                    [--import FILE]... [--export FILE] [--zone FILE | --resolver IP[@PORT]]\n"
	"  Reports every period that has ended: one report per policy domain and period, sent to\n"
	"  each authorized mailto: rua= address through sendmail (or written to --dir), then\n"
	"  removed from the state.\n"
	"  --config FILE    dmarc_reports { org_name, email, submitter, sendmail, directory },\n"
	"                   keycache { state_dir } and the resolver (dkmod.conf(5))\n"
	"  --state DIR      the shared state (default: the configuration's, $DKMOD_STATE, else\n"
	"                   " CLI_REPORT_DEFAULT_STATE ")\n"
	"  --dir DIR        write SUBMITTER!DOMAIN!BEGIN!END.xml.gz files there; no mail\n"
	"  --sendmail PATH  the sendmail command (default /usr/sbin/sendmail)\n"
	"  --import FILE    merge an export of another host first (renamed FILE.merged after)\n"
	"  --export FILE    move this host's closed periods to FILE (a new file) and send nothing\n"
	"  --org-name TEXT, --email ADDR, --submitter DOMAIN   override the configuration\n"
	"Exit: 0 all reported, 64 usage, 65 a bad import, 74 a report not sent (kept for the\n"
	"next run), 75 no state, 78 a bad configuration.\n";

/* What the command was asked. */
struct cli_report {
	struct cli_common c;
	const char *config, *dir, *sendmail, *export_file;
	const char *imports[CLI_REPORT_MAX_IMPORTS];
	size_t nimports;
	struct dkmod_report_meta meta;
	char email_buf[300];
	struct conf *conf;
};

/* cli_report_args - the options; an exit status, or -1 to go on */
static int cli_report_args(struct cli_report *r, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		bool missing = false;
		const char *v;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return fputs(cli_report_help, stdout), CLI_EX_OK;
		if ((v = cli_value("--config", argc, argv, &i, &missing)))
			r->config = v;
		else if ((v = cli_value("--dir", argc, argv, &i, &missing)))
			r->dir = v;
		else if ((v = cli_value("--sendmail", argc, argv, &i, &missing)))
			r->sendmail = v;
		else if ((v = cli_value("--export", argc, argv, &i, &missing)))
			r->export_file = v;
		else if ((v = cli_value("--org-name", argc, argv, &i, &missing)))
			r->meta.org_name = v;
		else if ((v = cli_value("--email", argc, argv, &i, &missing)))
			r->meta.email = v;
		else if ((v = cli_value("--submitter", argc, argv, &i, &missing)))
			r->meta.submitter = v;
		else if ((v = cli_value("--import", argc, argv, &i, &missing))) {
			if (r->nimports == CLI_REPORT_MAX_IMPORTS)
				return cli_usage_error("at most %d --import files", CLI_REPORT_MAX_IMPORTS);
			r->imports[r->nimports++] = v;
		} else if (missing)
			return cli_usage_error("option %s needs a value", argv[i]);
		else {
			int rc = cli_common_option(&r->c, argc, argv, &i);
			if (rc < 0)
				return CLI_EX_USAGE;
			if (rc == 0 || r->c.input)
				return cli_usage_error("report: unknown option or argument %s", argv[i]);
		}
	}
	if (r->dir && r->sendmail)
		return cli_usage_error("report: --dir or --sendmail, not both");
	return -1;
}

/* cli_report_conf_errors - a configuration's errors on standard error; CLI_EX_CONFIG */
static int cli_report_conf_errors(struct conf_errors *errs)
{
	for (size_t i = 0; i < errs->count; i++)
		fprintf(stderr, "%s\n", errs->lines[i]);
	conf_errors_free(errs);
	return CLI_EX_CONFIG;
}

/* cli_report_setup - the configuration's settings under the command line's; an exit status or -1 */
static int cli_report_setup(struct cli_report *r)
{
	struct conf_errors errs = {0};
	struct dkmod_options *o = &r->c.opt;
	if (r->config) {
		if (!(r->conf = conf_load(r->config, false, &errs)))
			return cli_report_conf_errors(&errs);
		conf_errors_free(&errs);
		const struct conf_reports *cr = &r->conf->reports;
		o->report = r->conf->opt.report;
		if (!o->cache.state_dir)
			o->cache.state_dir = r->conf->opt.cache.state_dir;
		if (!o->resolver.zone_file && !o->resolver.forwarders && !o->resolver.stubs)
			o->resolver = r->conf->opt.resolver;
		if (!o->authserv_id)
			o->authserv_id = r->conf->opt.authserv_id;
		r->meta.org_name = r->meta.org_name ? r->meta.org_name : cr->org_name;
		r->meta.email = r->meta.email ? r->meta.email : cr->email;
		r->meta.submitter = r->meta.submitter ? r->meta.submitter : cr->submitter;
		if (!r->dir && !r->sendmail)
			r->dir = cr->directory, r->sendmail = cr->sendmail;
	}
	if (!o->cache.state_dir)
		o->cache.state_dir = getenv("DKMOD_STATE") ? getenv("DKMOD_STATE") : CLI_REPORT_DEFAULT_STATE;
	static char host[256];
	if (!r->meta.submitter && !(r->meta.submitter = o->authserv_id)) {
		if (gethostname(host, sizeof host - 1) != 0 || !host[0])
			return fprintf(stderr, "dkmod: report: no --submitter and no host name\n"), CLI_EX_USAGE;
		r->meta.submitter = host;
	}
	if (!r->meta.org_name)
		r->meta.org_name = r->meta.submitter;
	if (!r->meta.email) {
		snprintf(r->email_buf, sizeof r->email_buf, "postmaster@%s", r->meta.submitter);
		r->meta.email = r->email_buf;
	}
	if (strcspn(r->meta.email, " \t\r\n<>\"") != strlen(r->meta.email) || !strchr(r->meta.email, '@') ||
	    strcspn(r->meta.submitter, " \t\r\n<>\"!/") != strlen(r->meta.submitter))
		return cli_usage_error("report: --email is an address and --submitter a domain name");
	if (!r->sendmail)
		r->sendmail = "/usr/sbin/sendmail";
	return -1;
}

/* cli_report_filename - SUBMITTER!DOMAIN!BEGIN!END.xml.gz (RFC 9990 "Email": the filename ABNF) */
static void cli_report_filename(const struct cli_report *r, const struct dkmod_report *rep, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s!%s!%lld!%lld.xml.gz", r->meta.submitter, rep->domain, rep->begin, rep->end);
}

/* cli_report_write - the gzip'd report into the directory (written beside, then renamed) */
static bool cli_report_write(const struct cli_report *r, const struct dkmod_report *rep, const unsigned char *gz,
			     size_t len)
{
	char name[700], path[4096], tmp[4200];
	cli_report_filename(r, rep, name, sizeof name);
	snprintf(path, sizeof path, "%s/%s", r->dir, name);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	FILE *f = fopen(tmp, "wx");
	bool ok = f && fwrite(gz, 1, len, f) == len;
	if (f && fclose(f) != 0)
		ok = false;
	if (ok && rename(tmp, path) != 0)
		ok = false;
	if (!ok) {
		fprintf(stderr, "dkmod: report: cannot write %s: %s\n", path, strerror(errno));
		unlink(tmp);
	}
	return ok;
}

/* cli_report_message - the report mail (RFC 9990 "Email"): headers, a line of text, the
 * gzip'd XML as an application/gzip attachment */
static bool cli_report_message(FILE *f, const struct cli_report *r, const struct dkmod_report *rep, const char *to,
			       const char *b64)
{
	char date[64], name[700];
	time_t now = r->c.opt.fixed_now ? r->c.opt.fixed_now : time(NULL);
	struct tm tm;
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", gmtime_r(&now, &tm));
	cli_report_filename(r, rep, name, sizeof name);
	fprintf(f,
		"From: %s\nTo: %s\nDate: %s\nMessage-ID: <%s>\n"
		"Subject: Report Domain: %s Submitter: %s Report-ID: <%s>\n"
		"MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"dkmod-report-%lld\"\n\n"
		"--dkmod-report-%lld\nContent-Type: text/plain; charset=us-ascii\n\n"
		"DMARC aggregate report (RFC 9990) for %s from %s: %llu messages in %zu rows,\n"
		"%lld to %lld (seconds since the epoch, UTC).\n\n"
		"--dkmod-report-%lld\nContent-Type: application/gzip; name=\"%s\"\n"
		"Content-Disposition: attachment; filename=\"%s\"\nContent-Transfer-Encoding: base64\n\n%s\n"
		"--dkmod-report-%lld--\n",
		r->meta.email, to, date, rep->report_id, rep->domain, r->meta.submitter, rep->report_id, rep->begin,
		rep->begin, rep->domain, r->meta.submitter, rep->messages, rep->rows, rep->begin, rep->end, rep->begin,
		name, name, b64, rep->begin);
	return fflush(f) == 0 && !ferror(f);
}

/* cli_report_send - the report mail to one address through sendmail; true when it took it */
static bool cli_report_send(const struct cli_report *r, const struct dkmod_report *rep, const char *to,
			    const char *b64)
{
	int fds[2];
	if (pipe(fds) != 0)
		return false;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(fds[0], 0);
		close(fds[0]);
		close(fds[1]);
		execl(r->sendmail, r->sendmail, "-oi", "-f", r->meta.email, "--", to, (char *)NULL);
		_exit(127);
	}
	close(fds[0]);
	FILE *f = pid > 0 ? fdopen(fds[1], "w") : NULL;
	bool ok = f && cli_report_message(f, r, rep, to, b64);
	if (f)
		fclose(f);
	else
		close(fds[1]);
	int status = 0;
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		ok = false;
	if (!ok)
		fprintf(stderr, "dkmod: report: %s did not take the report of %s for %s (%s %d)\n", r->sendmail,
			rep->domain, to, WIFEXITED(status) ? "exit" : "signal",
			WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	return ok;
}

/* cli_report_mail - the report to every authorized rua= address that did not take it in an
 * earlier run; false when one must be tried again (a temporary lookup failure or sendmail
 * refusing): the report stays, and the addresses that took it are remembered */
static bool cli_report_mail(const struct cli_report *r, struct dkmod_reports *reps, const struct dkmod_report *rep,
			    const unsigned char *gz, size_t len)
{
	char *b64 = dkmod_report_base64(gz, len);
	bool keep = b64 == NULL;
	for (size_t i = 0; b64 && i < rep->nrua; i++) {
		char to[300];
		const char *why;
		if (dkmod_reports_sent(reps, rep, rep->rua[i]) == 1) {
			printf("already sent %s %lld-%lld to %s\n", rep->domain, rep->begin, rep->end, rep->rua[i]);
			continue;
		}
		enum dkmod_rua_check c = dkmod_report_rua(&r->c.opt.resolver, rep, rep->rua[i], to, sizeof to, &why);
		if (c == DKMOD_RUA_OK && (to[0] == '-' || strcspn(to, " \t\r\n<>()\"\\,;") != strlen(to)))
			c = DKMOD_RUA_UNAUTHORIZED, why = "not a plain address";
		if (c != DKMOD_RUA_OK)
			fprintf(stderr, "dkmod: report: %s: %s: %s%s\n", rep->domain, rep->rua[i], why,
				c == DKMOD_RUA_TEMPORARY ? " (kept for the next run)" : "; not sent there");
		else if (cli_report_send(r, rep, to, b64)) {
			printf("sent %s %lld-%lld to %s (%llu messages)\n", rep->domain, rep->begin, rep->end, to,
			       rep->messages);
			if (dkmod_reports_mark_sent(reps, rep, rep->rua[i]) != DKMOD_OK)
				fprintf(stderr, "dkmod: report: %s: %s took it, but that was not recorded: a "
					"kept report may go there again\n", rep->domain, rep->rua[i]);
		} else
			keep = true;
		keep = keep || c == DKMOD_RUA_TEMPORARY;
	}
	free(b64);
	return !keep;
}

/* cli_report_one - deliver one report; true when it may be removed */
static bool cli_report_one(const struct cli_report *r, struct dkmod_reports *reps, const struct dkmod_report *rep)
{
	unsigned char *gz;
	size_t len;
	if (!cli_gzip(rep->xml, rep->xml_len, &gz, &len))
		return fprintf(stderr, "dkmod: report: out of memory\n"), false;
	bool ok = r->dir ? cli_report_write(r, rep, gz, len) : cli_report_mail(r, reps, rep, gz, len);
	if (ok && r->dir)
		printf("wrote %s %lld-%lld (%llu messages)\n", rep->domain, rep->begin, rep->end, rep->messages);
	free(gz);
	return ok;
}

/* cli_report_imports - merge the exports given; an exit status or -1 */
static int cli_report_imports(const struct cli_report *r, struct dkmod_reports *reps)
{
	for (size_t i = 0; i < r->nimports; i++) {
		FILE *f = fopen(r->imports[i], "r");
		const char *why;
		size_t line;
		if (!f)
			return fprintf(stderr, "dkmod: report: %s: %s\n", r->imports[i], strerror(errno)), CLI_EX_NOINPUT;
		enum dkmod_status st = dkmod_reports_import(reps, f, &why, &line);
		fclose(f);
		if (st != DKMOD_OK)
			return fprintf(stderr, "dkmod: report: %s:%zu: %s\n", r->imports[i], line, why), CLI_EX_DATAERR;
		char done[4200];
		snprintf(done, sizeof done, "%s.merged", r->imports[i]);
		if (rename(r->imports[i], done) != 0)
			return fprintf(stderr, "dkmod: report: %s merged but not renamed: %s\n", r->imports[i],
				       strerror(errno)),
			       CLI_EX_IOERR;
		printf("merged %s\n", r->imports[i]);
	}
	return -1;
}

/* cli_report_export - this host's closed periods to a new file */
static int cli_report_export(const struct cli_report *r, struct dkmod_reports *reps, long long now)
{
	int fd = open(r->export_file, O_WRONLY | O_CREAT | O_EXCL, 0640);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	size_t n = 0;
	if (!f)
		return fprintf(stderr, "dkmod: report: %s: %s\n", r->export_file, strerror(errno)), CLI_EX_CANTCREAT;
	enum dkmod_status st = dkmod_reports_export(reps, now, f, &n);
	if (fclose(f) != 0)
		st = DKMOD_EIO;
	if (st != DKMOD_OK) {
		unlink(r->export_file); /* incomplete; the store kept its periods */
		return fprintf(stderr, "dkmod: report: export to %s failed: nothing exported\n", r->export_file),
		       CLI_EX_IOERR;
	}
	printf("exported %zu periods to %s\n", n, r->export_file);
	return CLI_EX_OK;
}

/* cli_report - `dkmod report` */
int cli_report(int argc, char **argv)
{
	struct cli_report r = {0};
	struct dkmod_reports *reps = NULL;
	cli_common_init(&r.c);
	signal(SIGPIPE, SIG_IGN); /* a sendmail that exits early is a failed hand-off, not our end */
	int rc = cli_report_args(&r, argc, argv);
	if (rc < 0)
		rc = cli_report_setup(&r);
	if (rc >= 0) {
		conf_free(r.conf);
		return rc;
	}
	long long now = r.c.opt.fixed_now ? (long long)r.c.opt.fixed_now : (long long)time(NULL);
	if (dkmod_reports_open(r.c.opt.cache.state_dir, &r.c.opt.report, r.c.opt.log, r.c.opt.log_arg, &reps) != DKMOD_OK) {
		fprintf(stderr, "dkmod: report: no report store in %s\n", r.c.opt.cache.state_dir);
		conf_free(r.conf);
		return CLI_EX_TEMPFAIL;
	}
	rc = cli_report_imports(&r, reps);
	if (rc < 0 && r.export_file)
		rc = cli_report_export(&r, reps, now);
	struct dkmod_report *rep;
	int got = 0;
	while (rc < 0 && (got = dkmod_reports_next(reps, now, &r.meta, &rep)) == 1) {
		if (!cli_report_one(&r, reps, rep))
			rc = CLI_EX_IOERR; /* kept; the others still go */
		else if (dkmod_reports_remove(reps, rep) != DKMOD_OK)
			fprintf(stderr, "dkmod: report: %s sent but not removed from the state\n", rep->domain);
		dkmod_report_free(rep);
		if (rc == CLI_EX_IOERR)
			rc = -2;
	}
	if (got < 0)
		fprintf(stderr, "dkmod: report: cannot read the report store\n");
	dkmod_reports_close(reps);
	conf_free(r.conf);
	return got < 0 ? CLI_EX_TEMPFAIL : rc == -2 ? CLI_EX_IOERR : rc < 0 ? CLI_EX_OK : rc;
}
