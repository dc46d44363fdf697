/*
 * policyrec.h - sender policy records: DomainKeys (RFC 4870 3.6, at
 * _domainkey.<domain>) and ADSP (RFC 5617, at _adsp._domainkey.<domain>).
 */
#ifndef DKMOD_POLICYREC_H
#define DKMOD_POLICYREC_H

#include <stdbool.h>
#include <stddef.h>

#define POLICYREC_MAX_TEXT 256

struct policyrec_dk {
	bool signs_all;                 /* o=- */
	bool testing;                   /* t=y */
	char report_to[POLICYREC_MAX_TEXT];
	char notes[POLICYREC_MAX_TEXT];
};

enum policyrec_adsp { POLICYREC_ADSP_NONE = 0, POLICYREC_ADSP_UNKNOWN, POLICYREC_ADSP_ALL, POLICYREC_ADSP_DISCARDABLE };

/* policyrec_parse_dk - a DomainKeys policy record; false if it is not a tag list
 * or o= is neither "~" nor "-" (unknown tags are ignored, absent o= means "~") */
bool policyrec_parse_dk(const char *txt, size_t len, struct policyrec_dk *out);
/* policyrec_parse_adsp - the dkim= practice of an ADSP record: UNKNOWN for a dkim= value other
 * than unknown, all or discardable (RFC 5617 4.2.1: a future extension, compared exactly);
 * NONE when the record is not a tag list or has no dkim= or an empty one (RFC 5617 4.1) */
enum policyrec_adsp policyrec_parse_adsp(const char *txt, size_t len);
/* policyrec_adsp_name - "unknown", "all", "discardable", "" */
const char *policyrec_adsp_name(enum policyrec_adsp p);

#endif
