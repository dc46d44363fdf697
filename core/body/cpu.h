/*
 * cpu.h - what the processor offers the vector code (x86-64), probed once per
 * process.
 */
#ifndef DKMOD_CPU_H
#define DKMOD_CPU_H

#include <stdbool.h>

enum cpu_feature {
	CPU_CANON_VEC = 1, /* AVX-512 BW, VBMI, VBMI2, BMI1/2, POPCNT, with ZMM state kept by the kernel */
	CPU_SHA = 2        /* the SHA extensions with SSSE3 and SSE4.1 */
};

/* cpu_has - whether the processor has feature (an enum cpu_feature) */
bool cpu_has(unsigned feature);

#endif
