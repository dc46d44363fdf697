/*
 * test_authserv.c - whose an Authentication-Results field is (ar_authserv_id):
 * the authserv-id in every form RFC 8601 and RFC 5322 allow (comments,
 * folding, quoted strings with quoted-pairs, a version, any case) is ours;
 * another id is not; a value with no authserv-id that parses is "unsure"
 * (and so removed by the engine).
 */
#include <stdio.h>
#include <string.h>

#include "engine/session.h"
#include "unit.h"

struct form {
	const char *value;
	enum ar_owner want;
};

static const struct form forms[] = {
	{" mx.example.net; dkim=pass", AR_OURS},
	{"mx.example.net;dkim=pass", AR_OURS},
	{" MX.Example.NET; dkim=pass", AR_OURS},
	{" mx.example.net 1; dkim=pass", AR_OURS},
	{" mx.example.net 1 ; none", AR_OURS},
	{" mx.example.net (a comment) 1; dkim=pass", AR_OURS},
	{" (a comment) mx.example.net; dkim=pass", AR_OURS},
	{" (nested (comment) \\) with a quoted paren) mx.example.net; dkim=pass", AR_OURS},
	{"\r\n\tmx.example.net\r\n\t; dkim=pass", AR_OURS},
	{" (folded\r\n comment)\r\n mx.example.net; none", AR_OURS},
	{" \"mx.example.net\"; dkim=pass", AR_OURS},
	{" \"mx.example\\.net\"; dkim=pass", AR_OURS},
	{" \"\\m\\x\\.\\e\\x\\a\\m\\p\\l\\e\\.\\n\\e\\t\"; dkim=pass", AR_OURS},
	{" \"MX.EXAMPLE.NET\" 1; dkim=pass", AR_OURS},
	{" \"mx.exam\r\nple.net\"; dkim=pass", AR_OURS},
	{" (c)\"mx.example.net\"(c); dkim=pass", AR_OURS},
	{" mx.example.net", AR_OURS},
	{" mx.example.net\r\n", AR_OURS},
	{" mx.example.net(comment);none", AR_OURS},
	{" mx.example.org; dkim=pass", AR_OTHER},
	{" mx.example.net.evil; dkim=pass", AR_OTHER},
	{" xmx.example.net; dkim=pass", AR_OTHER},
	{" \"mx.example.net \"; dkim=pass", AR_OTHER},
	{" \"mx.example.ne\"; dkim=pass", AR_OTHER},
	{" \"mx.example.nett\"; dkim=pass", AR_OTHER},
	{" mx.example.ne; dkim=pass", AR_OTHER},
	{" other 1; dkim=pass", AR_OTHER},
	{" (mx.example.net) other; dkim=pass", AR_OTHER},
	{"", AR_UNSURE},
	{"   ", AR_UNSURE},
	{" (unterminated comment mx.example.net; dkim=pass", AR_UNSURE},
	{" \"unterminated; dkim=pass", AR_UNSURE},
	{" \"ends in a backslash\\", AR_UNSURE},
	{" ; dkim=pass", AR_UNSURE},
	{" mx.example.net/x; dkim=pass", AR_UNSURE},
	{" mx.example.net dkim=pass", AR_UNSURE},
	{" mx.example.net1; dkim=pass", AR_OTHER},
	{" \"mx.example.net\"1; dkim=pass", AR_UNSURE},
	{" mx.example.net (c", AR_UNSURE},
	{" =mx.example.net; dkim=pass", AR_UNSURE},
};

int main(void)
{
	static const char *const owners[] = {"other", "ours", "unsure"};
	for (size_t i = 0; i < sizeof forms / sizeof *forms; i++) {
		char name[200] = "authserv-id of \"";
		size_t n = strlen(name);
		for (const char *p = forms[i].value; *p && n < sizeof name - 4; p++)
			if (*p == '\r' || *p == '\n') {
				name[n++] = '\\';
				name[n++] = *p == '\r' ? 'r' : 'n';
			} else {
				name[n++] = *p;
			}
		name[n++] = '"';
		name[n] = '\0';
		enum ar_owner got = ar_authserv_id(forms[i].value, strlen(forms[i].value), "mx.example.net");
		CHECK_STR(name, owners[got], owners[forms[i].want]);
	}
	/* the value is not NUL-terminated where its length ends */
	const char *cut = " mx.example.netXYZ";
	CHECK_STR("the length bounds the value", owners[ar_authserv_id(cut, 15, "mx.example.net")], "ours");
	CHECK_STR("a quoted id cut short", owners[ar_authserv_id(" \"mx.example.net\"", 10, "mx.example.net")],
		  "unsure");
	return unit_done();
}
