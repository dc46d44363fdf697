/*
 * cpu.c - what the processor offers the vector code.  With glibc 2.33 or
 * later the answers come from what glibc probed at start-up (<sys/platform/
 * x86.h>: no instruction run here); elsewhere from four CPUID-class
 * instructions, once per process.  Not __builtin_cpu_supports: its start-up
 * probe asks far more, and in a virtual machine each CPUID exits to the
 * hypervisor (several microseconds each here), which a process per message
 * (dkmod-pipe) pays every time.
 */
#include "body/cpu.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#if defined(__has_include) && __has_include(<sys/platform/x86.h>)
#include <sys/platform/x86.h>

/* cpu_probe - the features of this processor, as glibc found them usable */
static unsigned cpu_probe(void)
{
	unsigned got = 0;
	if (CPU_FEATURE_ACTIVE(SHA) && CPU_FEATURE_ACTIVE(SSSE3) && CPU_FEATURE_ACTIVE(SSE4_1))
		got |= CPU_SHA;
	if (CPU_FEATURE_ACTIVE(AVX512F) && CPU_FEATURE_ACTIVE(AVX512BW) && CPU_FEATURE_ACTIVE(AVX512_VBMI) &&
	    CPU_FEATURE_ACTIVE(AVX512_VBMI2) && CPU_FEATURE_ACTIVE(BMI1) && CPU_FEATURE_ACTIVE(BMI2) &&
	    CPU_FEATURE_ACTIVE(POPCNT))
		got |= CPU_CANON_VEC;
	return got;
}
#else
#include <cpuid.h>

/* cpu_probe - the features of this processor */
static unsigned cpu_probe(void)
{
	unsigned a, b, c, d, lo, hi, leaf1, got = 0;
	if (!__get_cpuid(1, &a, &b, &leaf1, &d) || !__get_cpuid_count(7, 0, &a, &b, &c, &d))
		return 0;
	if ((b & bit_SHA) && (leaf1 & bit_SSSE3) && (leaf1 & bit_SSE4_1))
		got |= CPU_SHA;
	if (!(leaf1 & bit_OSXSAVE) || !(leaf1 & bit_POPCNT))
		return got;
	__asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	if ((lo & 0xe6) == 0xe6 && /* SSE, AVX, opmask, upper ZMM halves, ZMM16-31 */
	    (b & bit_AVX512F) && (b & bit_AVX512BW) && (b & bit_BMI) && (b & bit_BMI2) && (c & bit_AVX512VBMI) &&
	    (c & bit_AVX512VBMI2))
		got |= CPU_CANON_VEC;
	return got;
}
#endif
#else
/* cpu_probe - no probe on this processor: no feature */
static unsigned cpu_probe(void)
{
	return 0;
}
#endif

/* cpu_has - whether the processor has feature */
bool cpu_has(unsigned feature)
{
	static unsigned known; /* the features plus 0x80000000 once probed; a race only probes twice */
	unsigned k = __atomic_load_n(&known, __ATOMIC_RELAXED);
	if (!k) {
		k = cpu_probe() | 0x80000000u;
		__atomic_store_n(&known, k, __ATOMIC_RELAXED);
	}
	return (k & feature) != 0;
}
