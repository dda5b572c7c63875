/* Notify: tells the coordinators ([notify] to) about new leads, one mail per lead or a
 * daily digest, through the outbox (so notices are retried like acknowledgements). */
#ifndef OVERTURE_NOTIFY_H
#define OVERTURE_NOTIFY_H

#include "compose.h"
#include "config.h"
#include "extract.h"
#include "mime.h"
#include "store.h"

#include <glib.h>

/* Queues the notice of new lead LEAD_ID (REF) when [notify] mode is each. Call inside the
 * transaction that files the lead. */
gboolean notify_new_lead(struct store *st, const struct config *cfg, const struct templates *t,
			 const char *lead_id, const char *ref, const struct lead_fields *fields,
			 const struct mail *mail, GError **error);

/* Queues the digest of the leads filed since the last one, when [notify] mode is digest
 * and [notify] digest_every has passed. */
gboolean notify_digest_if_due(struct store *st, const struct config *cfg,
			      const struct templates *t, GError **error);

#endif
