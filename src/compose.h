/* Compose: outgoing mail (acknowledgements, notifications) rendered from the templates
 * and built with GMime as multipart/alternative, UTF-8, CRLF line endings. A message is
 * composed once; its bytes are stored in the outbox and resent unchanged. */
#ifndef OVERTURE_COMPOSE_H
#define OVERTURE_COMPOSE_H

#include "config.h"
#include "extract.h"
#include "mime.h"

#include <glib.h>

struct outgoing {
	char *message_id; /* without <> */
	char *recipient;
	char *envelope_from; /* "" for the null sender <> */
	char *subject;
	GBytes *bytes;
};

struct extract_rules;

/* What the templates directory holds: the mail Overture writes, and the extraction rules
 * (extract.ini) it reads enquiries with. */
struct templates {
	char *ack_subject;
	char *ack_txt;
	char *ack_html;
	char *notify_subject; /* the coordinators' notice of a new lead */
	char *notify_txt;
	char *digest_subject; /* the coordinators' daily digest */
	char *digest_txt;
	struct extract_rules *rules;
};

/* Reads ack.subject, ack.txt and ack.html from DIR (and, with NOTIFICATIONS, notify.*
 * and digest.*) and renders each with sample values, so an unknown placeholder is
 * reported now, naming the file; compiles DIR/extract.ini. */
struct templates *templates_load(const char *dir, gboolean notifications, GError **error);
void templates_free(struct templates *t);
typedef struct templates OvTemplates;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OvTemplates, templates_free)

/* The placeholders a template may use, with VALUES for a lead (name -> value). */
GHashTable *compose_ack_values(const struct config *cfg, const char *ref,
			       const struct lead_fields *fields, const struct mail *incoming);

/* The acknowledgement of lead REF, answering INCOMING. */
struct outgoing *compose_ack(const struct config *cfg, const struct templates *t, const char *ref,
			     const struct lead_fields *fields, const struct mail *incoming,
			     GError **error);

/* The coordinators' notice of new lead REF: to [notify] to, Reply-To the applicant (a
 * coordinator's reply goes to the partner), the reference in the subject. */
struct outgoing *compose_notification(const struct config *cfg, const struct templates *t,
				      const char *ref, const struct lead_fields *fields,
				      const struct mail *incoming, GError **error);

/* The daily digest of COUNT new leads, LIST one line per lead. */
struct outgoing *compose_digest(const struct config *cfg, const struct templates *t,
				const char *list, guint count, GError **error);

void outgoing_free(struct outgoing *o);
typedef struct outgoing OvOutgoing;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OvOutgoing, outgoing_free)

#endif
