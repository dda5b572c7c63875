/* Classify: is this mail from a person or from a robot (auto-reply, bounce, list,
 * read receipt, our own mail coming back, spam)? RFC 3834 and RFC 5230 rules, DESIGN.md
 * invariant 4. Pure: looks only at the parsed mail and the configuration. */
#ifndef OVERTURE_CLASSIFY_H
#define OVERTURE_CLASSIFY_H

#include "config.h"
#include "mime.h"

#include <glib.h>

struct verdict {
	gboolean robot;
	char *reason; /* why it is a robot ("auto-submitted: auto-replied"), NULL for a person */
	gboolean bounce; /* a delivery failure report (to link to the lead it concerns) */
};

/* Decides for MAIL; free the result's strings with verdict_clear. */
void classify_mail(const struct mail *mail, const struct config *cfg, struct verdict *out);
void verdict_clear(struct verdict *v);

/* TRUE when ADDRESS (any case) belongs to a robot or a role rather than a person:
 * MAILER-DAEMON, postmaster, no-reply, owner-*, *-request, ... */
gboolean classify_is_role_address(const char *address);

/* TRUE when MESSAGE_ID has the form Overture gives its own mail on DOMAIN. */
gboolean classify_is_own_message_id(const char *message_id, const char *domain);

#endif
