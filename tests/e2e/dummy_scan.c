/* dummy_scan.c - a stand-in Exim local_scan() shared object for the e2e self-check
 * (tests/e2e/t_mta_infra.sh): adds "X-Test-Scan: yes", and rejects a message whose
 * sender's local part is "reject-me" (550) to prove the rejection path.
 * Debian's dlopen patch needs local_scan_version_major/minor exported beside local_scan. */
#define LOCAL_SCAN
#include <string.h>
#include <local_scan.h>

/* local_scan_version_major - the ABI major version this object was built for */
int local_scan_version_major(void) { return LOCAL_SCAN_ABI_VERSION_MAJOR; }
/* local_scan_version_minor - the ABI minor version this object was built for */
int local_scan_version_minor(void) { return LOCAL_SCAN_ABI_VERSION_MINOR; }

/* local_scan - tag the message, or reject the "reject-me" sender */
int local_scan(int fd, uschar **return_text)
{
	(void)fd;
	if (sender_address && strncmp((const char *)sender_address, "reject-me@", 10) == 0) {
		*return_text = (uschar *)"dummy local_scan says no";
		return LOCAL_SCAN_REJECT;
	}
	header_add(' ', "X-Test-Scan: yes\n");
	return LOCAL_SCAN_ACCEPT;
}
