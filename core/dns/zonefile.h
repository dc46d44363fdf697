/*
 * zonefile.h - a small RFC 1035 master file reader.  It turns a zone file
 * into resource records in presentation format with absolute names, one
 * string per record ("owner ttl IN type rdata"), and works out the zone
 * apexes the records belong to.  It knows nothing of any resolver library.
 */
#ifndef DKMOD_ZONEFILE_H
#define DKMOD_ZONEFILE_H

#include <stddef.h>

/* One record. */
struct zonefile_rr {
	char *text;     /* e.g. `sel._domainkey.example.com. 300 IN TXT "v=DKIM1; " "p=..."` */
	char *owner;    /* absolute owner name, as written (escapes kept) */
	char *type;     /* record type, upper case */
	char *origin;   /* $ORIGIN in effect for the record, or NULL */
	unsigned line;  /* line where the record starts */
};

/* A parsed file. */
struct zonefile {
	struct zonefile_rr *rrs;
	size_t count;
	char **apexes;  /* distinct zone apexes covering every owner */
	size_t napexes;
};

/* zonefile_read - parse the file at path; NULL and "path:line: message" in err on failure */
struct zonefile *zonefile_read(const char *path, const char *origin, char *err, size_t errlen);
/* zonefile_parse - parse text (named name in messages); origin may be NULL */
struct zonefile *zonefile_parse(const char *text, size_t len, const char *name, const char *origin,
				char *err, size_t errlen);
/* zonefile_free - free a parsed file; NULL is fine */
void zonefile_free(struct zonefile *z);

#endif
