/*
 * mta.c - actions to MTA codes.  Quarantine is delivery with a marker field
 * (Exim freezes the message instead, the milter asks the MTA to hold it); discard is acceptance without delivery.
 * Anything the adapter cannot do maps to a temporary failure, so that the
 * sending side keeps the message and nothing is lost.
 */
#include "mta.h"

static const struct mta_code mta_codes[] = {
	{POLICY_ACCEPT, MTA_EX_OK, true, MTA_EXIM_ACCEPT, false, "OK", false, NULL, MTA_MILTER_CONTINUE, false},
	{POLICY_REJECT, MTA_EX_UNAVAILABLE, false, MTA_EXIM_REJECT, false, "DENY", false, NULL, MTA_MILTER_REJECT, false},
	{POLICY_TEMPFAIL, MTA_EX_TEMPFAIL, false, MTA_EXIM_TEMPREJECT, false, "DENYSOFT", false, NULL, MTA_MILTER_TEMPFAIL, false},
	{POLICY_DISCARD, MTA_EX_OK, false, MTA_EXIM_ACCEPT, true, "OK", true, NULL, MTA_MILTER_DISCARD, false},
	{POLICY_QUARANTINE, MTA_EX_OK, true, MTA_EXIM_ACCEPT_FREEZE, false, "OK", false, "X-Dkmod-Quarantine: yes",
	 MTA_MILTER_CONTINUE, true},
};

/* mta_code - the codes of an action */
const struct mta_code *mta_code(enum policy_action a)
{
	for (size_t i = 0; i < sizeof mta_codes / sizeof *mta_codes; i++)
		if (mta_codes[i].action == a)
			return &mta_codes[i];
	return &mta_codes[POLICY_TEMPFAIL];
}

/* mta_internal_failure - what an adapter does when it cannot run the pipeline */
const struct mta_code *mta_internal_failure(void)
{
	return &mta_codes[POLICY_TEMPFAIL];
}
