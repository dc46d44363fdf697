/*
 * sendpolicyrec.h - sender policy records: DomainKeys (RFC 4870 3.6, at
 * _domainkey.<domain>) and ADSP (RFC 5617, at _adsp._domainkey.<domain>).
 */
#ifndef DKMOD_POLICYREC_H
#define DKMOD_POLICYREC_H

#include <stdbool.h>
#include <stddef.h>

#define SENDPOLICYREC_MAX_TEXT 256

struct sendpolicyrec_dk {
	bool signs_all;                 /* o=- */
	bool testing;                   /* t=y */
	char report_to[SENDPOLICYREC_MAX_TEXT];
	char notes[SENDPOLICYREC_MAX_TEXT];
};

enum sendpolicyrec_adsp { SENDPOLICYREC_ADSP_NONE = 0, SENDPOLICYREC_ADSP_UNKNOWN, SENDPOLICYREC_ADSP_ALL, SENDPOLICYREC_ADSP_DISCARDABLE };

/* sendpolicyrec_parse_dk - a DomainKeys policy record; false if it is not a tag list
 * or o= is neither "~" nor "-" (unknown tags are ignored, absent o= means "~") */
bool sendpolicyrec_parse_dk(const char *txt, size_t len, struct sendpolicyrec_dk *out);
/* sendpolicyrec_parse_adsp - the dkim= practice of an ADSP record: UNKNOWN for a dkim= value other
 * than unknown, all or discardable (RFC 5617 4.2.1: a future extension, compared exactly);
 * NONE when the record is not a tag list or has no dkim= or an empty one (RFC 5617 4.1) */
enum sendpolicyrec_adsp sendpolicyrec_parse_adsp(const char *txt, size_t len);
/* sendpolicyrec_adsp_name - "unknown", "all", "discardable", "" */
const char *sendpolicyrec_adsp_name(enum sendpolicyrec_adsp p);

#endif
