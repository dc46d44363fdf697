/*
 * dns_memo.c - recent final answers of one resolver, kept for their TTL
 * (dns_memo.h).  Each entry is one allocation: the record pointers, their
 * lengths and the record bytes follow the header.  Entries are counted: the
 * memo holds one reference, each query answered from it another, so a slot
 * taken over while a query still holds its old answer frees nothing early.
 */
#include "dns/dns_memo.h"
#include "util/str.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct dns_memo_entry {
	unsigned refs;
	enum dns_type type;
	enum dns_rcode rcode;
	enum dkmod_dnssec dnssec;
	long long expires_ms;
	size_t count;
	const char **records;
	size_t *lengths;
	char *name;
	enum dns_parsed_kind parsed_kind;
	void *parsed;          /* dns_result_keep_parsed's copy (malloc'd), or NULL */
};

struct dns_memo {
	struct dns_memo_entry *slots[DNS_MEMO_SLOTS];
};

/* dns_memo_new - an empty memo */
struct dns_memo *dns_memo_new(void)
{
	return calloc(1, sizeof(struct dns_memo));
}

/* dns_memo_drop - one reference less; the last frees the entry */
void dns_memo_drop(struct dns_memo_entry *e)
{
	if (e && --e->refs == 0) {
		free(e->parsed);
		free(e);
	}
}

/* dns_memo_free - drop the memo's references and the memo */
void dns_memo_free(struct dns_memo *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < DNS_MEMO_SLOTS; i++)
		dns_memo_drop(m->slots[i]);
	free(m);
}

/* dns_memo_slot - the slot of name and type */
static size_t dns_memo_slot(const char *name, enum dns_type type)
{
	return str_hash_lower((uint32_t)type, name, strlen(name)) % DNS_MEMO_SLOTS;
}

/* dns_memo_get - the live entry for name and type, one reference more, or NULL */
struct dns_memo_entry *dns_memo_get(struct dns_memo *m, const char *name, enum dns_type type, long long now_ms)
{
	if (!m)
		return NULL;
	struct dns_memo_entry *e = m->slots[dns_memo_slot(name, type)];
	if (!e || e->type != type || e->expires_ms <= now_ms || strcasecmp(e->name, name) != 0)
		return NULL;
	e->refs++;
	return e;
}

/* dns_memo_entry_new - one allocation holding a final answer with a TTL, or NULL */
struct dns_memo_entry *dns_memo_entry_new(const char *name, enum dns_type type, const struct dns_result *r,
					  long long now_ms)
{
	unsigned ttl = r->ttl || r->rcode == DNS_ANSWER ? r->ttl : DNS_MEMO_NEGATIVE_TTL;
	if (ttl == 0 || r->dnssec == DKMOD_DNSSEC_BOGUS ||
	    (r->rcode != DNS_ANSWER && r->rcode != DNS_NXDOMAIN && r->rcode != DNS_NODATA))
		return NULL;
	size_t bytes = strlen(name) + 1, count = r->rcode == DNS_ANSWER ? r->count : 0;
	for (size_t i = 0; i < count; i++)
		bytes += r->lengths[i] + 1;
	if (bytes > DNS_MEMO_MAX_BYTES)
		return NULL;
	size_t head = sizeof(struct dns_memo_entry) + count * (sizeof(char *) + sizeof(size_t));
	struct dns_memo_entry *e = malloc(head + bytes);
	if (!e)
		return NULL;
	*e = (struct dns_memo_entry){.refs = 1, .type = type, .rcode = r->rcode, .dnssec = r->dnssec,
				     .expires_ms = now_ms + (long long)ttl * 1000, .count = count};
	e->records = (const char **)(e + 1);
	e->lengths = (size_t *)(e->records + count);
	char *p = (char *)e + head;
	for (size_t i = 0; i < count; i++) {
		memcpy(p, r->records[i], r->lengths[i]);
		p[r->lengths[i]] = '\0';
		e->records[i] = p;
		e->lengths[i] = r->lengths[i];
		p += r->lengths[i] + 1;
	}
	e->name = p;
	memcpy(p, name, strlen(name) + 1);
	return e;
}

/* dns_memo_keep - keep e (one reference more) in the slot of its name */
void dns_memo_keep(struct dns_memo *m, struct dns_memo_entry *e)
{
	if (!m || !e)
		return;
	size_t slot = dns_memo_slot(e->name, e->type);
	e->refs++;
	dns_memo_drop(m->slots[slot]);
	m->slots[slot] = e;
}

/* dns_memo_put - keep a final answer with a TTL in the slot of its name */
void dns_memo_put(struct dns_memo *m, const char *name, enum dns_type type, const struct dns_result *r,
		  long long now_ms)
{
	struct dns_memo_entry *e = m ? dns_memo_entry_new(name, type, r, now_ms) : NULL;
	dns_memo_keep(m, e);
	dns_memo_drop(e); /* the memo's reference is the one left */
}

/* dns_result_parsed - the parsed form kept with the answer as kind, or NULL */
const void *dns_result_parsed(const struct dns_result *r, enum dns_parsed_kind kind)
{
	return r->memo && r->memo->parsed_kind == kind ? r->memo->parsed : NULL;
}

/* dns_result_keep_parsed - keep a copy of a parsed form with the memo's answer */
void dns_result_keep_parsed(const struct dns_result *r, enum dns_parsed_kind kind, const void *p, size_t size)
{
	struct dns_memo_entry *e = r->memo;
	void *copy = e && !e->parsed ? malloc(size) : NULL;
	if (!copy)
		return;
	memcpy(copy, p, size);
	e->parsed = copy;
	e->parsed_kind = kind;
}

/* dns_memo_result - the entry as a result; the TTL is what remains of it */
void dns_memo_result(struct dns_memo_entry *e, long long now_ms, struct dns_result *r)
{
	long long left = (e->expires_ms - now_ms + 999) / 1000;
	*r = (struct dns_result){.rcode = e->rcode, .dnssec = e->dnssec, .records = e->records,
				 .lengths = e->lengths, .count = e->count, .ttl = left > 0 ? (unsigned)left : 0,
				 .why = "", .memo = e};
}
