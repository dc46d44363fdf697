/*
 * pipeline_int.h - what the files of the pipeline share (pipeline.c,
 * pipeline_msg.c, pipeline_hdr.c).  Not for adapters.
 */
#ifndef DKMOD_PIPELINE_INT_H
#define DKMOD_PIPELINE_INT_H

#include "conf.h"
#include "pipeline.h"
#include "policy.h"

#define PIPELINE_COUNTERS 256

struct pipeline_counter {
	char name[65];
	long value;
};

struct pipeline {
	struct conf *conf;
	struct dkmod_ctx *ctx;
	struct policy *policy;
	struct pipeline_options opt;
	enum dkmod_log_level level;
	int log_fd;                  /* log { file }, or -1 */
	struct pipeline_counter counters[PIPELINE_COUNTERS];
	size_t ncounters;
};

/* pipeline_log - a log line at level (filtered, to syslog or the adapter's callback) */
void pipeline_log(const struct pipeline *p, enum dkmod_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The header fields of a message as the policy sees them. */
struct pipeline_hdrs {
	struct policy_header *fields;
	size_t count;
	char *storage;
};

/* pipeline_hdr_end - the offset just past the blank line ending the header block in buf,
 * scanning from offset from; 0 if it is not there yet */
size_t pipeline_hdr_end(const char *buf, size_t len, size_t from);
/* pipeline_hdr_blank - the same without the case of a blank first line: the offset just past
 * the first line end at or after from that a blank line follows, or 0 */
size_t pipeline_hdr_blank(const char *buf, size_t len, size_t from);
/* pipeline_hdr_fields - the header fields the engine stored (dkmod_session_header_raw), each
 * with its name and value unfolded (CR, LF and NUL dropped) and trimmed of blanks, those
 * without a colon left out; false if out of memory */
bool pipeline_hdr_fields(const struct dkmod_session *s, struct pipeline_hdrs *h);
/* pipeline_hdr_free - free the fields */
void pipeline_hdr_free(struct pipeline_hdrs *h);
/* pipeline_hdr_unfold - a folded value on one line: line ends and the blanks after them become one space (malloc'd) */
char *pipeline_hdr_unfold(const char *value);
/* pipeline_signer_keys - a signer's signing table (PIPELINE_PATH_SIGN_TABLE) and the key files
 * its entries and its key template with its selector name (PIPELINE_PATH_KEY; a path that stands
 * for any domain gives each file it matches) */
void pipeline_signer_keys(const struct conf_signer *g, pipeline_path_fn *fn, void *arg);

#endif
