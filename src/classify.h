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
	gboolean sender_only; /* the one sign is the sender (a role or our own address): a web
			       * form's notification that names a person is still an enquiry */
};

/* Decides for MAIL; free the result's strings with verdict_clear. */
void classify_mail(const struct mail *mail, const struct config *cfg, struct verdict *out);
void verdict_clear(struct verdict *v);

/* TRUE when ADDRESS (any case) belongs to a robot or a role rather than a person:
 * MAILER-DAEMON, postmaster, no-reply, owner-*, *-request, ... */
gboolean classify_is_role_address(const char *address);

/* TRUE when MESSAGE_ID has the form Overture gives its own mail on DOMAIN. */
gboolean classify_is_own_message_id(const char *message_id, const char *domain);

/* What a delivery status notification (RFC 3464) says about one recipient. */
struct dsn {
	char *action;	       /* failed, delayed, delivered, relayed, expanded (lower case) */
	char *status;	       /* e.g. 5.1.1 */
	char *final_recipient; /* the address, without "rfc822;" */
	char *diagnostic;      /* e.g. "550 5.1.1 <x@y>: Recipient address rejected" */
};
/* Reads the text of a message/delivery-status part; picks the first failed recipient,
 * else the first one. FALSE when there is none. Free with dsn_clear. */
gboolean classify_parse_dsn(const char *text, struct dsn *out);
void dsn_clear(struct dsn *d);

/* Overture's own Message-IDs quoted anywhere in TEXT (a bounce that returns our ack as
 * plain text), each once (g_ptr_array_unref). */
GPtrArray *classify_own_ids_in_text(const char *text, const char *domain);

#endif
