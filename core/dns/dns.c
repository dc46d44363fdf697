/*
 * dns.c - what every resolver backend shares (dns_unbound.c in the engine,
 * a scripted one in the fuzz target): names of answers, what is temporary,
 * the clock deadlines are measured on.
 */
#include "dns/dns.h"

#include <time.h>

/* dns_rcode_name - "answer", "nxdomain", ... */
const char *dns_rcode_name(enum dns_rcode rcode)
{
	switch (rcode) {
	case DNS_ANSWER: return "answer";
	case DNS_NXDOMAIN: return "nxdomain";
	case DNS_NODATA: return "nodata";
	case DNS_SERVFAIL: return "servfail";
	case DNS_TIMEOUT: return "timeout";
	case DNS_ERROR: return "error";
	}
	return "unknown";
}

/* dns_rcode_temporary - true for SERVFAIL, TIMEOUT and ERROR */
bool dns_rcode_temporary(enum dns_rcode rcode)
{
	return rcode == DNS_SERVFAIL || rcode == DNS_TIMEOUT || rcode == DNS_ERROR;
}

/* dns_now_ms - CLOCK_MONOTONIC in milliseconds */
long long dns_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
