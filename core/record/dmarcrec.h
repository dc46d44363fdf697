/*
 * dmarcrec.h - DMARC policy records (RFC 9989 section 4.7), the TXT record at
 * _dmarc.<domain>: "v=DMARC1" first, then p, sp, np, adkim, aspf, t, psd,
 * rua, ruf, fo.  Tags RFC 9989 removed (pct, rf, ri) are unknown tags now and,
 * like every unknown tag, ignored.
 */
#ifndef DKMOD_DMARCREC_H
#define DKMOD_DMARCREC_H

#include <stdbool.h>
#include <stddef.h>

#define DMARCREC_MAX_URIS 4   /* rua= and ruf= URIs kept each; more are counted, not kept */
#define DMARCREC_MAX_URI 256  /* longer URIs are ignored like invalid ones */

/* p=, sp=, np= */
enum dmarcrec_policy { DMARCREC_POLICY_NONE = 0, DMARCREC_POLICY_QUARANTINE, DMARCREC_POLICY_REJECT };
/* adkim=, aspf= */
enum dmarcrec_align { DMARCREC_ALIGN_RELAXED = 0, DMARCREC_ALIGN_STRICT };
/* psd= */
enum dmarcrec_psd { DMARCREC_PSD_U = 0, DMARCREC_PSD_Y, DMARCREC_PSD_N };
/* fo= options, a bit each */
enum dmarcrec_fo { DMARCREC_FO_0 = 1, DMARCREC_FO_1 = 2, DMARCREC_FO_D = 4, DMARCREC_FO_S = 8 };

/* What a TXT record was. */
enum dmarcrec_status {
	DMARCREC_OK = 0,
	DMARCREC_NOT_DMARC,   /* does not start with v=DMARC1: not a DMARC record, discarded */
	DMARCREC_BAD_POLICY   /* p=, sp= or np= invalid and no valid rua= URI to fall back on p=none */
};

/* The tags of a record that parsed; defaults where a tag is absent or invalid. */
struct dmarcrec {
	enum dmarcrec_policy p, sp, np;
	bool has_p, has_sp, has_np;
	bool policy_replaced;          /* p/sp/np invalid: acting as p=none because rua= is valid */
	enum dmarcrec_align adkim, aspf;
	bool testing;                  /* t=y */
	enum dmarcrec_psd psd;
	unsigned fo;                   /* enum dmarcrec_fo bits; DMARCREC_FO_0 by default */
	size_t nrua, nruf;             /* kept */
	size_t rua_dropped, ruf_dropped; /* invalid, too long or past the limit */
	unsigned defaulted;            /* tags (DMARCREC_TAG_* bits) whose invalid value gave the default */
	size_t ignored;                /* elements ignored: not name=value, or a tag repeated */
	/* last, so that dmarcrec_copy copies the fields above whole and only the kept URIs */
	char rua[DMARCREC_MAX_URIS][DMARCREC_MAX_URI];
	char ruf[DMARCREC_MAX_URIS][DMARCREC_MAX_URI];
};

/* The tags of a record, for struct dmarcrec.defaulted. */
enum dmarcrec_tag {
	DMARCREC_TAG_ADKIM = 1, DMARCREC_TAG_ASPF = 2, DMARCREC_TAG_T = 4, DMARCREC_TAG_PSD = 8, DMARCREC_TAG_FO = 16
};

/* dmarcrec_parse - one TXT record (not NUL-terminated); *out is filled when DMARCREC_OK */
enum dmarcrec_status dmarcrec_parse(const char *txt, size_t len, struct dmarcrec *out);
/* dmarcrec_copy - *src into *dst: its tags and its nrua + nruf kept URIs (the rest of the lists is
 * left as it was: no reader looks past nrua and nruf) */
void dmarcrec_copy(struct dmarcrec *dst, const struct dmarcrec *src);
/* dmarcrec_is_dmarc - true when the record starts with v=DMARC1 (whatever follows) */
bool dmarcrec_is_dmarc(const char *txt, size_t len);

/* dmarcrec_status_name - "ok", "not a DMARC record", ... */
const char *dmarcrec_status_name(enum dmarcrec_status st);
/* dmarcrec_policy_name - "none", "quarantine", "reject" */
const char *dmarcrec_policy_name(enum dmarcrec_policy p);
/* dmarcrec_align_name - "r", "s" */
const char *dmarcrec_align_name(enum dmarcrec_align a);
/* dmarcrec_psd_name - "u", "y", "n" */
const char *dmarcrec_psd_name(enum dmarcrec_psd p);
/* dmarcrec_fo_name - "0", "1", "d", "s" for one bit */
const char *dmarcrec_fo_name(enum dmarcrec_fo f);

#endif
