/*
 * cli_gzip.c - gzip (RFC 1952) of a buffer: the one file that includes zlib.h.
 */
#include <stdlib.h>
#include <zlib.h>

#include "cli.h"

/* cli_gzip - in compressed as one gzip member into a malloc'd *out; false when out of memory */
bool cli_gzip(const void *in, size_t len, unsigned char **out, size_t *outlen)
{
	z_stream z = {0};
	if (len > 0x7fffffff || deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return false; /* 15 + 16: the largest window, with a gzip header and trailer */
	size_t cap = deflateBound(&z, (uLong)len) + 32;
	*out = malloc(cap);
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)len;
	z.next_out = *out;
	z.avail_out = (uInt)cap;
	bool ok = *out && deflate(&z, Z_FINISH) == Z_STREAM_END;
	*outlen = z.total_out;
	deflateEnd(&z);
	if (!ok) {
		free(*out);
		*out = NULL;
	}
	return ok;
}
