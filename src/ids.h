/* Identifiers: UUIDs for rows (libuuid) and the Message-IDs Overture gives its mail. */
#ifndef OVERTURE_IDS_H
#define OVERTURE_IDS_H

#include <glib.h>

/* A new random UUID in lower-case text form (g_free). */
char *ids_new_uuid(void);

/* A new Message-ID (without <>) on DOMAIN that classify_is_own_message_id recognises. */
char *ids_new_message_id(const char *domain);

#endif
