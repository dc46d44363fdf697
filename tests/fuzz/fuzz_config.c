/*
 * fuzz_config.c - the configuration loader (lua/conf*.c) on arbitrary file
 * contents: it must end with a configuration or with "FILE:LINE: message"
 * errors, never crash; a runaway file is stopped by the loader's budget.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "fuzz.h"

/* LLVMFuzzerTestOneInput - write the input as a config file and load it */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	if (!path[0])
		snprintf(path, sizeof path, "/tmp/dkmod-fuzz-config-%d.conf", (int)getpid());
	FILE *f = fopen(path, "wb");
	if (!f)
		return 0;
	fwrite(data, 1, size, f);
	fclose(f);
	struct conf_errors errs = {0};
	struct conf *c = conf_load(path, false, &errs);
	if (!c && errs.count == 0)
		abort(); /* a refused file must say why */
	for (size_t i = 0; i < errs.count; i++)
		if (!errs.lines[i] || strchr(errs.lines[i], '\n'))
			abort(); /* one line per error */
	conf_free(c);
	conf_errors_free(&errs);
	unlink(path);
	return 0;
}
