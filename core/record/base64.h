/* base64.h - strict base64 (RFC 4648) as DKIM and DomainKeys use it */
#ifndef DKMOD_BASE64_H
#define DKMOD_BASE64_H

#include <stddef.h>

/* base64_decoded_max - an upper bound on the decoded size of inlen characters */
size_t base64_decoded_max(size_t inlen);
/* base64_decode - decode in, skipping SP, HTAB, CR and LF (FWS); strict otherwise:
 * only the 64 characters, '=' padding only at the end and only as needed
 * (1 or 2), total length of significant characters a multiple of 4 and
 * unused trailing bits zero.  Returns the decoded length, or -1 on bad input
 * or if more than outcap bytes would be written. */
long base64_decode(const char *in, size_t inlen, unsigned char *out, size_t outcap);
/* base64_decode_text - base64_decode, and in the same pass in[0..inlen) without SP, HTAB, CR
 * and LF into text (textcap > 0) as base64_strip_fws writes it: cut to textcap - 1 bytes,
 * NUL-terminated; the text is whole even when decoding fails */
long base64_decode_text(const char *in, size_t inlen, unsigned char *out, size_t outcap, char *text,
			size_t textcap);
/* base64_encoded_len - characters base64_encode writes for len bytes (without NUL) */
size_t base64_encoded_len(size_t len);
/* base64_encode - encode with padding; writes base64_encoded_len(len) chars plus a NUL */
void base64_encode(const unsigned char *in, size_t len, char *out);
/* base64_strip_fws - v[0..n) without SP, HTAB, CR and LF (b= as results report it), cut to
 * cap - 1 bytes (cap > 0), into out, NUL-terminated; the bytes written (less than cap - 1:
 * not cut, and base64_decode of out is that of v) */
size_t base64_strip_fws(const char *v, size_t n, char *out, size_t cap);

#endif
