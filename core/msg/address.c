/*
 * address.c - the first mailbox of an address header.  Comments and quoted
 * strings are skipped while looking for the structure ('<', ':', ','), so a
 * display name cannot smuggle in a different address.
 */
#include "msg/address.h"

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

/* address_atext - a character of an RFC 5322 atom (8-bit bytes allowed for UTF-8 addresses) */
static bool address_atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80 ||
	       (c && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

/* address_dot_atom - s[0..n) is atoms joined by single dots */
static bool address_dot_atom(const char *s, size_t n)
{
	if (n == 0 || s[0] == '.' || s[n - 1] == '.')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(address_atext((unsigned char)s[i]) || (s[i] == '.' && s[i + 1] != '.')))
			return false;
	return true;
}

/* address_spec - an addr-spec from v[start..end), comments and whitespace dropped:
 * a dot-atom or one whole quoted string, '@', a dot-atom or a [domain literal] */
static bool address_spec(const char *v, size_t start, size_t end, struct address *out)
{
	char buf[2 * ADDRESS_MAX];
	size_t n = 0, at = 0;
	bool quoted = false, have_at = false;
	for (size_t i = start; i < end;) {
		char c = v[i];
		if (c == '(') {
			i = address_skip(v, end, i);
			continue;
		}
		if (c == '"') {
			if (have_at || n != 0)
				return false; /* a quoted string is a whole local part or nothing */
			size_t j = address_skip(v, end, i);
			if (v[j - 1] != '"' || j - i < 2 || j - i >= sizeof buf)
				return false;
			memcpy(buf, v + i, j - i);
			n = j - i;
			quoted = true;
			i = j;
			continue;
		}
		if (c == '@') {
			if (have_at)
				return false;
			have_at = true;
			at = n;
		}
		if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
			if (n + 1 >= sizeof buf)
				return false;
			buf[n++] = c;
		}
		i++;
	}
	buf[n] = '\0';
	const char *dom = buf + at + 1;
	size_t dn = n - at - 1;
	if (!have_at || at == 0 || at >= ADDRESS_MAX || dn == 0 || dn >= ADDRESS_MAX)
		return false;
	if (!quoted && !address_dot_atom(buf, at))
		return false;
	bool literal = dom[0] == '[' && dom[dn - 1] == ']' && !memchr(dom + 1, '[', dn - 2) && !memchr(dom, ']', dn - 1);
	if (!literal && !address_dot_atom(dom, dn))
		return false;
	memcpy(out->local, buf, at);
	out->local[at] = '\0';
	memcpy(out->domain, dom, dn + 1);
	/* local@domain, each up to a NUL it may hold, as "%s@%s" writes it */
	size_t ln = strlen(out->local), dl = strlen(out->domain);
	memcpy(out->full, out->local, ln);
	out->full[ln] = '@';
	memcpy(out->full + ln + 1, out->domain, dl + 1);
	return true;
}

/* address_close - the '>' that ends an angle address opened at v[i], quotes skipped; len if none */
static size_t address_close(const char *v, size_t len, size_t i)
{
	for (i++; i < len;) {
		if (v[i] == '"' || v[i] == '(')
			i = address_skip(v, len, i);
		else if (v[i] == '>')
			return i;
		else
			i++;
	}
	return len;
}

/* address_clear - out empty: its three texts "" (not its 1.3 KB cleared) */
void address_clear(struct address *out)
{
	out->local[0] = out->domain[0] = out->full[0] = '\0';
}

/* address_copy - the three texts of src into dst */
void address_copy(struct address *dst, const struct address *src)
{
	memcpy(dst->local, src->local, strlen(src->local) + 1);
	memcpy(dst->domain, src->domain, strlen(src->domain) + 1);
	memcpy(dst->full, src->full, strlen(src->full) + 1);
}

/* address_first_end - address_first, and in *end where address_next goes on after that mailbox
 * (up to it both read alike: address_first stops where address_next would skip) */
bool address_first_end(const char *v, size_t len, struct address *out, size_t *end)
{
	address_clear(out);
	size_t start = 0;
	*end = len;
	for (size_t i = 0; i < len;) {
		char c = v[i];
		if (c == '"' || c == '(') {
			i = address_skip(v, len, i);
		} else if (c == '<') {
			size_t gt = address_close(v, len, i);
			*end = gt < len ? gt + 1 : len;
			return gt < len && address_spec(v, i + 1, gt, out);
		} else if (c == ':') {
			start = ++i; /* a group: its first member */
		} else if (c == ',' || c == ';') {
			if (address_spec(v, start, i, out)) {
				*end = i + 1;
				return true;
			}
			start = ++i;
		} else {
			i++;
		}
	}
	return address_spec(v, start, len, out);
}

/* address_first - parse the first mailbox of a header value */
bool address_first(const char *v, size_t len, struct address *out)
{
	size_t end;
	return address_first_end(v, len, out, &end);
}

/* address_next - the next mailbox of v[*pos..len): like address_first, but an angle address or a
 * list element that does not parse is skipped; *pos moves past what was read */
bool address_next(const char *v, size_t len, size_t *pos, struct address *out)
{
	address_clear(out);
	size_t start = *pos, i = *pos;
	bool angle = false, found = false;
	while (i < len && !found) {
		char c = v[i];
		if (c == '"' || c == '(') {
			i = address_skip(v, len, i);
		} else if (c == '<' && !angle) {
			size_t gt = address_close(v, len, i);
			found = gt < len && address_spec(v, i + 1, gt, out);
			angle = true; /* the rest of the element up to ',' or ';' belongs to it */
			i = gt < len ? gt + 1 : len;
		} else if (c == ':' && !angle) {
			start = ++i;
		} else if (c == ',' || c == ';') {
			found = !angle && address_spec(v, start, i, out);
			start = ++i;
			angle = false;
		} else {
			i++;
		}
	}
	if (!found && !angle && start < len && i >= len)
		found = address_spec(v, start, len, out);
	*pos = found ? i : len;
	return found;
}
