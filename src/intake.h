/* Intake: one pass over the mailbox. Finds the UIDs after the last filed one, and runs
 * each message through fetch -> parse -> classify -> extract -> file (one transaction
 * with its acknowledgement) -> mark on the server. Owns the order of those steps and
 * the decisions between them; each stage's work lives in its own file. */
#ifndef OVERTURE_INTAKE_H
#define OVERTURE_INTAKE_H

#include "classify.h"
#include "compose.h"
#include "config.h"
#include "extract.h"
#include "mime.h"
#include "store.h"

#include <glib.h>
#include <signal.h>

struct intake_report {
	guint filed;	   /* new leads */
	guint follow_ups;  /* joined an existing lead */
	guint robots;	   /* auto-replies, bounces, lists... */
	guint quarantined; /* could not be fetched whole or parsed */
	guint duplicates;  /* already filed: not filed again */
	guint acks;	   /* acknowledgements queued */
};

/* Files all new mail. Stops early, leaving the rest for the next pass, when *STOP
 * becomes true. Fails with the IMAP error codes of error.h when the mailbox cannot be
 * read; messages filed before the failure stay filed. */
gboolean intake_run(struct store *st, const struct config *cfg, const struct templates *tmpl,
		    const volatile sig_atomic_t *stop, struct intake_report *report,
		    GError **error);

/* Runs quarantined lead REF through the stages again: from its raw copy, or fetched
 * again by UID when only part or none of it was kept. On success the lead becomes a
 * normal one (status new) and *DECISION says what was decided (g_free). */
gboolean intake_reprocess(struct store *st, const struct config *cfg,
			  const struct templates *tmpl, const char *ref, char **decision,
			  GError **error);

/* A web form's notification sent from a role address (no-reply@, the hub's own) whose
 * only robot sign is that sender is a person's enquiry when the form names them: V
 * becomes a person's verdict. */
void intake_accept_form(struct verdict *v, const struct lead_fields *fields);

/* Why the acknowledgement of a person's enquiry is withheld, from the mail and its fields
 * alone (not a partnership enquiry, nobody to reply to, an address read from the body of
 * mail no trusted form sent), or NULL. The store's limits come on top. */
char *intake_ack_policy(const struct config *cfg, const struct mail *mail,
			const struct lead_fields *fields);

#endif
