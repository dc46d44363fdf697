/* fuzz.h - the libFuzzer entry point every tests/fuzz/fuzz_<name>.c defines */
#ifndef DKMOD_FUZZ_H
#define DKMOD_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* LLVMFuzzerTestOneInput - run one input; returns 0 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
