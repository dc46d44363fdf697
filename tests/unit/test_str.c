/*
 * test_str.c - the growable buffer: appends past every growth, decimal numbers
 * as printf writes them, and str_join cutting its result as snprintf does.
 */
#include <stdio.h>
#include <stdlib.h>

#include <stdint.h>

#include "util/grow.h"
#include "util/str.h"
#include "unit.h"

/* test_appends - byte and block appends across the growth points keep every byte */
static void test_appends(void)
{
	struct str s = STR_INIT;
	char want[5000];
	int ok = 1;
	CHECK_STR("empty buffer reads as \"\"", str_cstr(&s), "");
	for (size_t i = 0; i < sizeof want; i++) {
		want[i] = (char)('a' + i % 26);
		ok &= (i % 3 ? str_appendc(&s, want[i]) : str_append(&s, want + i, 1)) == 0;
	}
	CHECK("appends succeed", ok);
	CHECK_MEM("appends keep every byte", s.data, s.len, want, sizeof want);
	CHECK("always NUL-terminated", s.data[s.len] == '\0' && s.cap > s.len);
	str_clear(&s);
	CHECK("reserve", str_reserve(&s, 100000) == 0 && s.cap > 100000 && s.len == 0);
	char *before = s.data;
	for (int i = 0; i < 1000; i++)
		str_append(&s, "0123456789", 10);
	CHECK("reserved room takes appends in place", s.data == before && s.len == 10000);
	CHECK("an impossible reservation fails", str_reserve(&s, (size_t)-1 / 2) == -1 && s.len == 10000);
	str_free(&s);
	CHECK("empty append allocates a terminated buffer", str_append(&s, "", 0) == 0 && s.data && s.data[0] == '\0');
	str_free(&s);
}

/* test_uint - str_append_uint writes what "%llu" writes */
static void test_uint(void)
{
	static const unsigned long long values[] = {0, 1, 9, 10, 99, 100, 1023, 1024, 2048, 65535, 4294967295ULL,
						    18446744073709551615ULL};
	int ok = 1;
	for (size_t i = 0; i < sizeof values / sizeof *values; i++) {
		struct str s = STR_INIT;
		char want[32];
		snprintf(want, sizeof want, "x%llu", values[i]);
		ok &= str_appendc(&s, 'x') == 0 && str_append_uint(&s, values[i]) == 0 && strcmp(s.data, want) == 0;
		str_free(&s);
	}
	CHECK("decimal numbers as printf writes them", ok);
}

/* test_join - str_join concatenates, counts NULL as "", and cuts as snprintf cuts */
static void test_join(void)
{
	const char *parts[4] = {"dkim_validate.", "inst", NULL, ".result.pass"};
	char buf[64], want[64];
	size_t n = str_join(buf, sizeof buf, parts, 4);
	CHECK_STR("join", buf, "dkim_validate.inst.result.pass");
	CHECK_INT("join length", n, strlen("dkim_validate.inst.result.pass"));
	int ok = 1;
	for (size_t cap = 1; cap < 40; cap++) {
		memset(buf, 'Z', sizeof buf);
		int w = snprintf(want, cap, "%s%s%s", parts[0], parts[1], parts[3]);
		n = str_join(buf, cap, parts, 4);
		ok &= (int)n == w && strcmp(buf, want) == 0 && buf[cap] == 'Z';
	}
	CHECK("cut as snprintf cuts, nothing written past cap", ok);
	CHECK_INT("cap 0 writes nothing, counts all", str_join(NULL, 0, parts, 4), n);
	CHECK_INT("no parts", str_join(buf, sizeof buf, parts, 0), 0);
	CHECK_STR("no parts: empty", buf, "");
}

/* test_plain_prefix - str_plain_prefix8 counts the leading bytes above 0x20, for bytes of every
 * class at every position (a borrow from a low byte must not hide an earlier one) */
static void test_plain_prefix(void)
{
	static const unsigned char kinds[] = {0x00, 0x01, 0x09, 0x0a, 0x0d, 0x1f, 0x20, 0x21, 0x41, 0x7e, 0x7f, 0x80, 0xc3, 0xff};
	char b[8];
	uint64_t w;
	int wrong = 0;
	srand(8);
	for (int r = 0; r < 20000; r++) {
		for (int i = 0; i < 8; i++)
			b[i] = (char)kinds[rand() % (int)sizeof kinds];
		if (r < 8 * (int)sizeof kinds) /* first every kind alone at every place among plain bytes */
			memset(b, 'a', 8), b[r / (int)sizeof kinds] = (char)kinds[r % (int)sizeof kinds];
		size_t want = 0;
		while (want < 8 && (unsigned char)b[want] > 0x20)
			want++;
		size_t got = str_plain_prefix8(b, &w);
		wrong += got != want || memcmp(&w, b, 8) != 0;
	}
	CHECK_INT("str_plain_prefix8 = the byte count of a plain prefix (20000 words)", wrong, 0);
	CHECK_INT("all plain", str_plain_prefix8("abcdefgh", &w), 8);
	CHECK_INT("space first", str_plain_prefix8(" bcdefgh", &w), 0);
	CHECK_INT("tab last", str_plain_prefix8("abcdefg\t", &w), 7);
	CHECK_INT("CR after 8-bit bytes", str_plain_prefix8("\xc3\xa9\xc3\r\nxyz", &w), 3);
}

/* grow_room: the first capacity, doubling, room left as it is, overflow refused */
static void test_grow(void)
{
	size_t cap = 0, n = 0;
	int *a = NULL;
	for (int i = 0; i < 100; i++) {
		int *g = grow_room(a, &cap, n, sizeof *g, 8);
		if (!g)
			break;
		a = g;
		a[n++] = i;
		if (i == 0)
			CHECK_INT("grow: the first capacity", cap, 8);
	}
	CHECK_INT("grow: 100 elements held", n, 100);
	CHECK_INT("grow: doubled to 128", cap, 128);
	CHECK_INT("grow: the elements kept", a[0] + a[57] + a[99], 0 + 57 + 99);
	CHECK("grow: room left: the same array", grow_room(a, &cap, 100, sizeof *a, 8) == a);
	size_t huge = SIZE_MAX / 4;
	CHECK("grow: overflow refused", grow_room(a, &huge, huge, sizeof *a, 8) == NULL);
	CHECK_INT("grow: capacity unchanged after a refusal", huge, SIZE_MAX / 4);
	free(a);
}

/* test_lower8 - str_lower8 lower-cases 'A'..'Z' and nothing else, every byte value at every place of
 * the word, whatever its neighbours (no carry from one byte into the next) */
static void test_lower8(void)
{
	int wrong = 0;
	for (int place = 0; place < 8; place++)
		for (int c = 0; c < 256; c++) {
			unsigned char in[8], want[8], got[8];
			for (int k = 0; k < 8; k++)
				in[k] = k == place ? (unsigned char)c : (unsigned char)(0xff - 37 * k);
			for (int k = 0; k < 8; k++)
				want[k] = in[k] >= 'A' && in[k] <= 'Z' ? (unsigned char)(in[k] + 32) : in[k];
			uint64_t w;
			memcpy(&w, in, 8);
			w = str_lower8(w);
			memcpy(got, &w, 8);
			wrong += memcmp(got, want, 8) != 0;
		}
	CHECK_INT("lower8: every byte at every place", wrong, 0);
}

/* test_hash_lower - str_hash_lower is the same for a name in either case, at every length (words of
 * eight and the tail), and tells names apart that differ in a byte beside 'A'..'Z' */
static void test_hash_lower(void)
{
	static const char upper[] = "CONTENT-TRANSFER-ENCODING-X", lower[] = "content-transfer-encoding-x";
	int wrong = 0;
	for (size_t n = 0; n <= sizeof upper - 1; n++)
		wrong += str_hash_lower(7, upper, n) != str_hash_lower(7, lower, n);
	CHECK_INT("hash lower: the same in either case, every length", wrong, 0);
	CHECK("hash lower: '@' is not '`'", str_hash_lower(7, "x@y", 3) != str_hash_lower(7, "x`y", 3));
	CHECK("hash lower: '[' is not '{'", str_hash_lower(7, "abcdefgh[", 9) != str_hash_lower(7, "abcdefgh{", 9));
	CHECK("hash lower: the seed counts", str_hash_lower(7, "from", 4) != str_hash_lower(8, "from", 4));
	CHECK("hash lower: the length counts", str_hash_lower(7, "a\0", 2) != str_hash_lower(7, "a", 1));
	/* every byte counts, in the words and in each load of the tail (4, 2 and 1 bytes) */
	int missed = 0;
	for (size_t n = 1; n <= 23; n++)
		for (size_t i = 0; i < n; i++) {
			char a[24], b[24];
			memcpy(a, lower, n);
			memcpy(b, lower, n);
			b[i] = '#';
			missed += str_hash_lower(7, a, n) == str_hash_lower(7, b, n);
		}
	CHECK_INT("hash lower: a byte changed anywhere changes the hash, every length", missed, 0);
}

/* test_case_eq - str_case_eq: equal but for the case of 'A'..'Z', at every length and place (words of
 * eight and the tail); any other byte, a NUL or a byte past 0x7f included, must match exactly */
static void test_case_eq(void)
{
	static const char upper[] = "CONTENT-TRANSFER-ENCODING-X", lower[] = "content-transfer-encoding-x";
	int wrong = 0;
	for (size_t n = 0; n <= sizeof upper - 1; n++) {
		wrong += !str_case_eq(upper, lower, n);
		for (size_t i = 0; i < n; i++) {
			char a[32];
			memcpy(a, lower, n);
			a[i] = a[i] == '-' ? '_' : '@'; /* no letter: '@' is just below 'A' */
			wrong += str_case_eq(a, upper, n) || str_case_eq(upper, a, n);
		}
	}
	CHECK_INT("case eq: every length, a change at every place", wrong, 0);
	CHECK("case eq: '[' is not '{'", !str_case_eq("abcdefgh[", "ABCDEFGH{", 9) && !str_case_eq("[", "{", 1));
	CHECK("case eq: '@' is not '`'", !str_case_eq("@", "`", 1));
	CHECK("case eq: a NUL is compared", !str_case_eq("a\0b", "a\0c", 3) && str_case_eq("a\0B", "A\0b", 3));
	CHECK("case eq: bytes past 0x7f are not letters", !str_case_eq("\xc1", "\xe1", 1) &&
	      !str_case_eq("abcdefg\xc1", "abcdefg\xe1", 8));
}

int main(void)
{
	test_grow();
	test_appends();
	test_uint();
	test_join();
	test_plain_prefix();
	test_lower8();
	test_hash_lower();
	test_case_eq();
	return unit_done();
}
