/*
 * address.h - the first mailbox of an address header (From:, Sender:), as
 * RFC 5322 writes it: display names, angle brackets, comments, quoted
 * strings and groups.
 */
#ifndef DKMOD_ADDRESS_H
#define DKMOD_ADDRESS_H

#include <stdbool.h>
#include <stddef.h>

#define ADDRESS_MAX 320

struct address {
	char local[ADDRESS_MAX];   /* local part as written (quotes kept) */
	char domain[ADDRESS_MAX];  /* domain as written */
	char full[2 * ADDRESS_MAX + 2]; /* local@domain */
};

/* address_clear - out empty: its three texts "" (what follows a text's NUL is no part of an
 * address: it is not cleared, and address_copy does not copy it) */
void address_clear(struct address *out);
/* address_copy - the three texts of src into dst */
void address_copy(struct address *dst, const struct address *src);
/* address_first - parse the first mailbox of a header value; false if there is none */
bool address_first(const char *value, size_t len, struct address *out);
/* address_first_end - address_first, and in *end where address_next goes on after the mailbox
 * found (so that the rest of the value is read without parsing it again) */
bool address_first_end(const char *value, size_t len, struct address *out, size_t *end);
/* address_next - the next mailbox at or after *pos (start at 0), *pos moved past it; false when
 * there is none left (elements that do not parse are skipped) */
bool address_next(const char *value, size_t len, size_t *pos, struct address *out);

#endif
