/* keyrec.c - DKIM (RFC 6376 3.6.1, RFC 8463) and DomainKeys (RFC 4870) key record parsing */
#include "record/keyrec.h"

#include <string.h>

#include "record/base64.h"
#include "record/tagvalue.h"

/* keyrec_strerror - English reason for a status ("key syntax error", ...) */
const char *keyrec_strerror(enum keyrec_status st)
{
	switch (st) {
	case KEYREC_OK:
		return "key ok";
	case KEYREC_SYNTAX:
		return "key syntax error";
	case KEYREC_BAD_VERSION:
		return "unsupported key version";
	case KEYREC_NO_KEY:
		return "no key in record";
	case KEYREC_BAD_KEY:
		return "bad key data";
	case KEYREC_BAD_KEYTYPE:
		return "unsupported key type";
	case KEYREC_BAD_HASH:
		return "key does not allow the hash";
	case KEYREC_BAD_SERVICE:
		return "key not for email";
	}
	return "unknown key error";
}

/* keyrec_item_eq - true if a list item equals s exactly */
static int keyrec_item_eq(const char *item, size_t item_len, const char *s)
{
	size_t n = strlen(s);

	return item_len == n && memcmp(item, s, n) == 0;
}

/* keyrec_list_has - true if the colon list in t's value contains s */
static int keyrec_list_has(const struct tagvalue *t, const char *s)
{
	size_t pos = 0, len;
	const char *item;

	while (tagvalue_list_next(t->value, t->value_len, &pos, &item, &len)) {
		if (keyrec_item_eq(item, len, s))
			return 1;
	}
	return 0;
}

/* keyrec_init - the defaults of a record without optional tags */
static void keyrec_init(struct keyrec *out)
{
	memset(out, 0, sizeof *out);
	out->type = KEYREC_RSA;
	out->hashes = KEYREC_HASH_SHA1 | KEYREC_HASH_SHA256;
}

/* keyrec_parse_key - p=: empty means revoked, else strict base64 into out->key */
static enum keyrec_status keyrec_parse_key(const struct tagvalue *p, struct keyrec *out)
{
	long n;

	if (!p)
		return KEYREC_NO_KEY;
	if (p->value_len == 0) {
		out->revoked = true;
		return KEYREC_OK;
	}
	n = base64_decode(p->value, p->value_len, out->key, sizeof out->key);
	/* a value of only whitespace cannot reach here: tag values are trimmed */
	if (n <= 0)
		return KEYREC_BAD_KEY;
	out->key_len = (size_t)n;
	return KEYREC_OK;
}

/* keyrec_parse_dkim - parse a DKIM key record */
enum keyrec_status keyrec_parse_dkim(const char *txt, size_t len, struct keyrec *out)
{
	struct tagvalue_list list;
	const struct tagvalue *t;

	keyrec_init(out);
	if (tagvalue_parse(txt, len, &list, NULL) != TAGVALUE_OK)
		return KEYREC_SYNTAX;

	t = tagvalue_get(&list, "v");
	if (t && (t != &list.tags[0] || !tagvalue_value_eq(t, "DKIM1")))
		return KEYREC_BAD_VERSION;

	t = tagvalue_get(&list, "k");
	if (t) {
		if (tagvalue_value_eq(t, "rsa"))
			out->type = KEYREC_RSA;
		else if (tagvalue_value_eq(t, "ed25519"))
			out->type = KEYREC_ED25519;
		else
			return KEYREC_BAD_KEYTYPE;
	}

	t = tagvalue_get(&list, "h");
	if (t) {
		out->hashes = 0;
		if (keyrec_list_has(t, "sha1"))
			out->hashes |= KEYREC_HASH_SHA1;
		if (keyrec_list_has(t, "sha256"))
			out->hashes |= KEYREC_HASH_SHA256;
		if (out->hashes == 0)
			return KEYREC_BAD_HASH;
	}

	t = tagvalue_get(&list, "s");
	if (t && !keyrec_list_has(t, "email") && !keyrec_list_has(t, "*"))
		return KEYREC_BAD_SERVICE;

	t = tagvalue_get(&list, "t");
	if (t) {
		out->testing = keyrec_list_has(t, "y");
		out->strict_identity = keyrec_list_has(t, "s");
	}

	return keyrec_parse_key(tagvalue_get(&list, "p"), out);
}

/* keyrec_parse_domainkeys - parse a DomainKeys key record */
enum keyrec_status keyrec_parse_domainkeys(const char *txt, size_t len, struct keyrec *out)
{
	struct tagvalue_list list;
	const struct tagvalue *t;

	keyrec_init(out);
	if (tagvalue_parse(txt, len, &list, NULL) != TAGVALUE_OK)
		return KEYREC_SYNTAX;

	t = tagvalue_get(&list, "g");
	if (t && t->value_len > 0) {
		if (t->value_len >= sizeof out->granularity)
			return KEYREC_SYNTAX;
		memcpy(out->granularity, t->value, t->value_len);
		out->granularity[t->value_len] = '\0';
		out->has_granularity = true;
	}

	t = tagvalue_get(&list, "k");
	if (t && !tagvalue_value_eq(t, "rsa"))
		return KEYREC_BAD_KEYTYPE;

	t = tagvalue_get(&list, "t");
	if (t)
		out->testing = keyrec_list_has(t, "y");

	return keyrec_parse_key(tagvalue_get(&list, "p"), out);
}

/* keyrec_first - the first record that parses as a key */
long keyrec_first(char *const *records, const size_t *lengths, size_t count, bool dk, keyrec_parse_fn *parse,
		  void *arg, const struct keyrec **rec, enum keyrec_status *status)
{
	*status = KEYREC_NO_KEY;
	for (size_t i = 0; i < count; i++) {
		*rec = NULL;
		enum keyrec_status st = parse(arg, dk, records[i], lengths[i], rec);
		if (st == KEYREC_OK || !*rec)
			return (long)i;
		if (i == 0)
			*status = st;
	}
	*rec = NULL;
	return -1;
}
