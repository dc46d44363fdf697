/*
 * sender.h - the responsible sender of a message (RFC 4870 3.2).
 */
#ifndef DKMOD_SENDER_H
#define DKMOD_SENDER_H

#include <stdbool.h>
#include <stddef.h>

#include "msg/address.h"
#include "msg/header.h"

/* The responsible sender (DomainKeys): the first Sender: field, else the first From:. */
struct sender {
	bool found;              /* a field was there */
	bool parsed;             /* and held an address */
	bool from_sender;        /* it was Sender: */
	size_t field;            /* its index */
	size_t end;              /* where the address ended in the field's value (address_first_end) */
	struct address addr;
};

/* sender_find - the responsible sender of fields[0..nfields): the first Sender field with an
 * address, else the author, as author_find found it in the same fields (parsed once) */
void sender_find(const struct header_field *fields, size_t nfields, const struct sender *author,
		 struct sender *out);
/* author_find - the author (RFC 5322 3.6.2): the first From field and its first address; the
 * author of ADSP, DMARC, the A-R and the policy script's msg.author */
void author_find(const struct header_field *fields, size_t nfields, struct sender *out);

#endif
