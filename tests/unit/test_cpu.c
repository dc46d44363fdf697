/*
 * test_cpu.c - core/body/cpu.c gives the answers a direct CPUID probe gives: the
 * SHA extensions (with SSSE3 and SSE4.1) and the AVX-512 set of the
 * canonicalizer (with the kernel keeping the ZMM and mask state), so that a
 * wrong answer cannot quietly turn the vector code off (or on where it would
 * fault).  SKIP off x86-64.
 */
#include "body/cpu.h"
#include "unit.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>

/* direct_probe - the features, read with CPUID and XGETBV here */
static unsigned direct_probe(void)
{
	unsigned a, b, c, d, leaf1, got = 0;
	if (!__get_cpuid(1, &a, &b, &leaf1, &d) || !__get_cpuid_count(7, 0, &a, &b, &c, &d))
		return 0;
	if ((b & bit_SHA) && (leaf1 & bit_SSSE3) && (leaf1 & bit_SSE4_1))
		got |= CPU_SHA;
	if (leaf1 & bit_OSXSAVE) {
		unsigned lo, hi;
		__asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
		if ((lo & 0xe6) == 0xe6 && (leaf1 & bit_POPCNT) && (b & bit_AVX512F) && (b & bit_AVX512BW) &&
		    (b & bit_BMI) && (b & bit_BMI2) && (c & bit_AVX512VBMI) && (c & bit_AVX512VBMI2))
			got |= CPU_CANON_VEC;
	}
	return got;
}

int main(void)
{
	unsigned want = direct_probe();
	printf("note: this processor: SHA extensions %s, AVX-512 canonicalizer %s\n", want & CPU_SHA ? "yes" : "no",
	       want & CPU_CANON_VEC ? "yes" : "no");
	CHECK_INT("cpu: SHA extensions as CPUID says", cpu_has(CPU_SHA), (want & CPU_SHA) != 0);
	CHECK_INT("cpu: AVX-512 canonicalizer as CPUID says", cpu_has(CPU_CANON_VEC), (want & CPU_CANON_VEC) != 0);
	CHECK_INT("cpu: the same answer again", cpu_has(CPU_SHA | CPU_CANON_VEC), want != 0);
	return unit_done();
}
#else
int main(void)
{
	printf("SKIP: cpu: not x86-64 (no vector code)\n");
	return unit_done();
}
#endif
