/*
 * mta.h - the one table that maps a policy action to what each MTA
 * understands: Postfix pipe(8) exit statuses (sysexits.h), Exim local_scan
 * return values, qpsmtpd hook return constants, milter replies.  Adapters look codes up here
 * and nowhere else.
 */
#ifndef DKMOD_MTA_H
#define DKMOD_MTA_H

#include "pipeline.h"

/* Exim's local_scan return values (the enum of local_scan.h, Exim 4.96, ABI 6.0). */
enum mta_exim {
	MTA_EXIM_ACCEPT = 0,
	MTA_EXIM_ACCEPT_FREEZE = 1,
	MTA_EXIM_REJECT = 3,
	MTA_EXIM_TEMPREJECT = 5
};

/* sysexits.h values Postfix pipe(8) understands. */
enum mta_sysexit { MTA_EX_OK = 0, MTA_EX_UNAVAILABLE = 69, MTA_EX_SOFTWARE = 70, MTA_EX_TEMPFAIL = 75 };

/* Milter replies at the end of the message (adapters/milter/milter.h's enum milter_status). */
enum mta_milter { MTA_MILTER_CONTINUE = 0, MTA_MILTER_REJECT = 1, MTA_MILTER_DISCARD = 2, MTA_MILTER_TEMPFAIL = 4 };

struct mta_code {
	enum policy_action action;
	int postfix_exit;      /* pipe filter exit status */
	bool postfix_reinject; /* the filter hands the message back to Postfix */
	int exim;              /* local_scan return value */
	bool exim_blackhole;   /* Exim: accept, then drop every recipient */
	const char *qpsmtpd;   /* the plugin's return constant: OK, DENY, DENYSOFT */
	bool qpsmtpd_drop;     /* qpsmtpd: accept the transaction but do not queue it */
	const char *header;    /* a field added to say what happened, or NULL */
	int milter;            /* dkmod-milter's reply (enum mta_milter) */
	bool milter_quarantine;/* dkmod-milter: the MTA holds the message (smfi_quarantine) */
};

/* mta_code - the codes of an action (an unknown action maps to tempfail) */
const struct mta_code *mta_code(enum policy_action a);
/* mta_internal_failure - what an adapter does when it cannot run the pipeline: tempfail */
const struct mta_code *mta_internal_failure(void);

#endif
