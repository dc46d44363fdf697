/*
 * sendpolicyrec.c - parsing DomainKeys and ADSP sender policy records.
 */
#include "record/sendpolicyrec.h"

#include <string.h>

#include "record/tagvalue.h"

/* sendpolicyrec_copy - a tag's value into a fixed buffer, cut if too long */
static void sendpolicyrec_copy(char *dst, const struct tagvalue *t)
{
	size_t n = t->value_len < SENDPOLICYREC_MAX_TEXT ? t->value_len : SENDPOLICYREC_MAX_TEXT - 1;
	memcpy(dst, t->value, n);
	dst[n] = '\0';
}

/* sendpolicyrec_parse_dk - a DomainKeys policy record */
bool sendpolicyrec_parse_dk(const char *txt, size_t len, struct sendpolicyrec_dk *out)
{
	struct tagvalue_list tags;
	memset(out, 0, sizeof *out);
	if (tagvalue_parse(txt, len, &tags, NULL) != TAGVALUE_OK)
		return false;
	const struct tagvalue *o = tagvalue_get(&tags, "o"), *t = tagvalue_get(&tags, "t"),
			      *r = tagvalue_get(&tags, "r"), *n = tagvalue_get(&tags, "n");
	if (o && !tagvalue_value_eq(o, "~") && !tagvalue_value_eq(o, "-"))
		return false;
	out->signs_all = o && tagvalue_value_eq(o, "-");
	out->testing = t && tagvalue_value_eq(t, "y");
	if (r)
		sendpolicyrec_copy(out->report_to, r);
	if (n)
		sendpolicyrec_copy(out->notes, n);
	return true;
}

/* sendpolicyrec_parse_adsp - the dkim= practice of an ADSP record */
enum sendpolicyrec_adsp sendpolicyrec_parse_adsp(const char *txt, size_t len)
{
	struct tagvalue_list tags;
	if (tagvalue_parse(txt, len, &tags, NULL) != TAGVALUE_OK)
		return SENDPOLICYREC_ADSP_NONE;
	const struct tagvalue *d = tagvalue_get(&tags, "dkim");
	if (!d)
		return SENDPOLICYREC_ADSP_NONE;
	if (tagvalue_value_eq(d, "unknown"))
		return SENDPOLICYREC_ADSP_UNKNOWN;
	if (tagvalue_value_eq(d, "all"))
		return SENDPOLICYREC_ADSP_ALL;
	if (tagvalue_value_eq(d, "discardable"))
		return SENDPOLICYREC_ADSP_DISCARDABLE;
	/* RFC 5617 4.2.1: any other value (a future extension word) is treated as "unknown" */
	return d->value_len ? SENDPOLICYREC_ADSP_UNKNOWN : SENDPOLICYREC_ADSP_NONE;
}

/* sendpolicyrec_adsp_name - the practice's name */
const char *sendpolicyrec_adsp_name(enum sendpolicyrec_adsp p)
{
	static const char *const names[] = {"", "unknown", "all", "discardable"};
	return (unsigned)p < sizeof names / sizeof *names ? names[p] : "";
}
