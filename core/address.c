/*
 * address.c - the first mailbox of an address header.  Comments and quoted
 * strings are skipped while looking for the structure ('<', ':', ','), so a
 * display name cannot smuggle in a different address.
 */
#include "address.h"

#include <stdio.h>
#include <string.h>

/* address_skip - past a quoted string or a (nested) comment starting at v[i] */
static size_t address_skip(const char *v, size_t len, size_t i)
{
	if (v[i] == '"') {
		for (i++; i < len && v[i] != '"'; i++)
			if (v[i] == '\\')
				i++;
		return i < len ? i + 1 : len;
	}
	int depth = 0;
	for (; i < len; i++) {
		if (v[i] == '\\')
			i++;
		else if (v[i] == '(')
			depth++;
		else if (v[i] == ')' && --depth == 0)
			return i + 1;
	}
	return len;
}

/* address_spec - copy an addr-spec from v[start..end) without comments and whitespace */
static bool address_spec(const char *v, size_t start, size_t end, struct address *out)
{
	char buf[2 * ADDRESS_MAX];
	size_t n = 0;
	for (size_t i = start; i < end;) {
		char c = v[i];
		if (c == '(') {
			i = address_skip(v, end, i);
			continue;
		}
		if (c == '"') {
			size_t j = address_skip(v, end, i);
			if (j - i >= sizeof buf - n)
				return false;
			memcpy(buf + n, v + i, j - i);
			n += j - i;
			i = j;
			continue;
		}
		if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
			if (n + 1 >= sizeof buf)
				return false;
			buf[n++] = c;
		}
		i++;
	}
	buf[n] = '\0';
	/* the local part may be quoted and hold '@': the domain follows the last one */
	char *at = strrchr(buf, '@');
	if (!at || at == buf || !at[1] || (size_t)(at - buf) >= ADDRESS_MAX || strlen(at + 1) >= ADDRESS_MAX)
		return false;
	memcpy(out->local, buf, (size_t)(at - buf));
	out->local[at - buf] = '\0';
	strcpy(out->domain, at + 1);
	snprintf(out->full, sizeof out->full, "%s@%s", out->local, out->domain);
	return true;
}

/* address_first - parse the first mailbox of a header value */
bool address_first(const char *v, size_t len, struct address *out)
{
	memset(out, 0, sizeof *out);
	size_t start = 0;
	for (size_t i = 0; i < len;) {
		char c = v[i];
		if (c == '"' || c == '(') {
			i = address_skip(v, len, i);
		} else if (c == '<') {
			const char *gt = memchr(v + i, '>', len - i);
			return gt && address_spec(v, i + 1, (size_t)(gt - v), out);
		} else if (c == ':') {
			start = ++i; /* a group: its first member */
		} else if (c == ',' || c == ';') {
			if (address_spec(v, start, i, out))
				return true;
			start = ++i;
		} else {
			i++;
		}
	}
	return address_spec(v, start, len, out);
}
