/*
 * conf.h - the configuration file, dkmod.conf(5): a Lua file that LuaJIT
 * evaluates in an empty environment where only the constructors
 * (dk_sign "name" { ... }, resolver { ... }, policy "file", ...) are visible.
 * This header is plain C: adapters include it without LuaJIT.
 */
#ifndef DKMOD_CONF_H
#define DKMOD_CONF_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "dkmod.h"

/* When an instance signs, if no policy script has a sign hook. */
enum conf_condition {
	CONF_SIGN_ALWAYS = 0,    /* whenever a domain block matches (a key exists) */
	CONF_SIGN_CAN_RELAY,     /* the client may relay */
	CONF_SIGN_AUTH_USER      /* the client authenticated */
};

/* One dk_domain / dkim_domain block: how to sign for one sender domain. */
struct conf_domain {
	const char *domain;         /* the responsible sender's domain it serves (lower case) */
	const char *key_template;   /* key path with %{d} (d=) and %{s} (selector), made absolute */
	struct dkmod_sign_request req; /* req.domain: d= (base_domain, else domain); req.key_file NULL */
	int line;
};

/* One dk_sign / dkim_sign instance. */
struct conf_signer {
	const char *name;
	enum dkmod_method method;
	enum conf_condition condition;
	struct conf_domain *domains;
	size_t ndomains;
	const char *sign_table;        /* the signing table's path, or NULL */
	struct dkmod_signtable *table; /* opened by conf_tables_refresh in the process that signs */
	bool table_borrowed;           /* table belongs to an earlier instance with the same file */
	const char *key_template;      /* the instance's key path template, or NULL */
	const char *selector;          /* with key_template: sign any domain whose key file exists */
	struct dkmod_sign_request req; /* the instance's options, for table and template signatures */
	int line;
};

/* A client network (milter { relay_nets }): an IPv4 or IPv6 prefix. */
struct conf_net {
	int family;                  /* AF_INET or AF_INET6 */
	unsigned char addr[16];
	unsigned bits;
};

/* A whole configuration; every string belongs to it. */
struct conf {
	const char *path;            /* the file, as given */
	struct dkmod_options opt;    /* engine options (resolver, cache, limits, authserv-id) */
	bool verify;                 /* a dk_validate or dkim_validate instance exists */
	const char *dk_validate_name, *dkim_validate_name; /* their names, or NULL */
	bool verify_signed;          /* verify messages this configuration signs too (default: not) */
	struct conf_signer *signers;
	size_t nsigners;
	const char *state_owner;     /* keycache { owner }: the user the state directory is made for */
	const char *policy_file;     /* the policy script, or NULL */
	const char *fallback;        /* "tempfail" (default), "accept" or "reject" */
	unsigned policy_time_ms;     /* per hook call; default 100 */
	size_t policy_memory;        /* bytes for the policy state; default 32 MiB */
	enum dkmod_log_level log_level;  /* default info */
	bool log_syslog;
	const char *log_file;        /* log { file }: lines appended there, or NULL */
	int log_facility;            /* syslog facility (LOG_MAIL by default) */
	const char *milter_socket;   /* milter { socket }: unix:PATH, inet:PORT@HOST..., or NULL */
	struct conf_net *relay_nets; /* milter { relay_nets }: clients that may relay */
	size_t nrelay_nets;
	const char *const *submission; /* milter { submission }: {daemon_name}s whose clients may relay */
	struct conf_reports {        /* dmarc_reports { ... } for `dkmod report`; NULL: the default */
		const char *org_name;    /* default: the submitter */
		const char *email;       /* default: postmaster@ the submitter */
		const char *submitter;   /* default: the authserv-id */
		const char *sendmail;    /* default: /usr/sbin/sendmail */
		const char *directory;   /* write the reports here instead of mailing them */
	} reports;
	struct conf_pool *pool;      /* storage of the strings and arrays */
};

/* One signature the configuration asks for, its key path expanded. */
struct conf_request {
	struct dkmod_sign_request req;  /* req.key_file points at key */
	const char *instance;           /* the dk_sign / dkim_sign instance name */
	char *owned;                    /* storage of the strings when the config does not own them */
	char domain[254], selector[64]; /* storage of a signing table's d= and s= */
	char key[PATH_MAX];
};

/* A list of "FILE:LINE: message" lines. */
struct conf_errors {
	char **lines;
	size_t count, cap;
};

/* conf_load - evaluate and check the file at path; with check_keys, also open every
 * configured key file.  Returns the configuration, or NULL with every error in errs. */
struct conf *conf_load(const char *path, bool check_keys, struct conf_errors *errs);
/* conf_free - free a configuration; NULL is fine */
void conf_free(struct conf *c);

/* conf_errors_add - append a formatted error line; false if out of memory */
bool conf_errors_add(struct conf_errors *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* conf_errors_free - free the lines */
void conf_errors_free(struct conf_errors *e);

/* Whom a message's signatures are for: DKIM signs for the author (From:, so that DMARC counts
 * the signature), DomainKeys for the responsible sender (Sender:, else From:; RFC 4870). */
struct conf_who {
	const char *dkim_address, *dkim_domain;
	const char *dk_address, *dk_domain;
	bool can_relay, auth_user;
	bool any_condition;            /* ignore sign_condition */
};

/* Why a signature was chosen or not: one line at a level (debug: the reasoning; info: a
 * domain not signed; warning: a missing key or a bad table). */
typedef void conf_explain_fn(void *arg, enum dkmod_log_level level, const char *line);

/* conf_requests - the signatures the configuration gives a message: for each instance whose
 * condition holds, its domain block for the domain, else its sign_table entry (address,
 * domain, .parents, *), else its key template with its selector for the domain or the nearest
 * parent whose key file exists; at most max.  Requests whose key file cannot be opened are
 * left out.  explain (may be NULL) hears the reasoning up to level. */
size_t conf_requests(const struct conf *c, const struct conf_who *who, struct conf_request *out, size_t max,
		     conf_explain_fn *explain, void *arg, enum dkmod_log_level level);
/* conf_tables_refresh - open the signing tables not yet open and reopen changed ones; called
 * once per message before conf_requests, so that a message sees one version of each table.
 * Failures go to explain (the old version, if any, stays in use). */
void conf_tables_refresh(struct conf *c, struct dkmod_ctx *ctx, conf_explain_fn *explain, void *arg);

/* conf_net_parse - "ADDR/BITS" or "ADDR" (IPv4 or IPv6) into *net; false if it is not one */
bool conf_net_parse(const char *s, struct conf_net *net);
/* conf_net_match - the address ip (text, IPv4-mapped IPv6 taken as IPv4) lies in one of nets */
bool conf_net_match(const struct conf_net *nets, size_t n, const char *ip);

/* conf_template_check - NULL if a key path template is valid, else why */
const char *conf_template_check(const char *tmpl);
/* conf_expand - expand %{d}, %{s} and %% of a valid template; false if it does not fit */
bool conf_expand(const char *tmpl, const char *d, const char *s, char *out, size_t size);
/* conf_table_key - the key file of a signing table signature: its own (relative to the table's
 * directory) or the instance's template expanded; false if there is none or it does not fit */
bool conf_table_key(const struct conf_signer *g, const struct dkmod_signtable_sig *s, char *key, size_t size);
/* conf_valid_field_name - printable ASCII without ':' and spaces, 1 to 64 characters */
bool conf_valid_field_name(const char *name, size_t len);
/* conf_domain_within - d is parent or equal to domain (case-insensitive) */
bool conf_domain_within(const char *domain, const char *d);
/* conf_resolve_path - p made relative to the directory of the configuration file base */
char *conf_resolve_path(const char *base, const char *p);

#endif
