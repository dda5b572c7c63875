/* Outbox: sends every due outgoing mail once (DESIGN.md invariant 3). Under the store's
 * "send" lock it claims a row, sends it over SMTP, and marks it sent on the server's
 * final 250; temporary failures are retried with exponential backoff until
 * [smtp] give_up_after, permanent ones are recorded and not retried. */
#ifndef OVERTURE_OUTBOX_H
#define OVERTURE_OUTBOX_H

#include "config.h"
#include "store.h"

#include <glib.h>

struct send_report {
	guint sent;
	guint deferred;
	guint failed;
	gboolean smtp_unavailable; /* stopped early: the server could not be used at all */
};

/* Sends what is due now. Returns FALSE only when the store fails; SMTP problems are
 * recorded on the rows and in REPORT. */
gboolean outbox_send_due(struct store *st, const struct config *cfg, struct send_report *report,
			 GError **error);

/* The delay before attempt number ATTEMPTS+1: BASE doubled per attempt, at most an hour
 * (or BASE, when that is longer). */
gint64 outbox_backoff(gint64 base, gint64 attempts);

#endif
