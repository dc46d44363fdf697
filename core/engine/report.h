/*
 * report.h - the insides of the aggregate reports (report.c, report_io.c), shared by the
 * engine's files.  Not part of the public interface.
 */
#ifndef DKMOD_REPORT_H
#define DKMOD_REPORT_H

#include "dkmod.h"
#include "record/rptxml.h"
#include "store/rptstore.h"

/* An open report store (dkmod_reports_open). */
struct dkmod_reports {
	struct store *st;
	struct dkmod_report_options opt;
	char after[STORE_MAX_KEY + 1];   /* the key of the group returned last ("" at first) */
};

/* A report and what it is made of; pub comes first (dkmod_report_free casts back). */
struct report_full {
	struct dkmod_report pub;
	struct rptstore_group group;     /* without its policy text */
	struct rptxml_fields policy;     /* the policy's fields, the rua= URIs after them */
	char report_id[STORE_MAX_KEY + 64];
	struct str xml;
};

/* report_interval - the period length in seconds (a divisor of a day from an hour up, else a day) */
long long report_interval(const struct dkmod_report_options *o);
/* report_limits - the bounds the options give */
struct rptstore_limits report_limits(const struct dkmod_report_options *o);
/* report_open_store - the report store in DIR/reports (made for DIR's owner); NULL, logged by
 * the store, if it cannot be had */
struct store *report_open_store(const char *dir, const struct dkmod_report_options *o, dkmod_log_fn *log,
				void *log_arg);

#endif
