/* exim_config_probe.c - prints the configuration path the Exim adapter would load
 * (exim_proc_config), for tests/adapters/t_exim_config.sh */
#include <stdio.h>

#include "exim.h"

int main(void)
{
	puts(exim_proc_config());
	return 0;
}
