/* SMTP submission with libcurl: one message, one recipient, the bytes exactly as stored.
 * Tells temporary failures (4xx, network: retry) from permanent ones (5xx: stop) and
 * from problems the administrator must fix (TLS, login). A struct smtp owns its curl
 * handle; the connection is reused across messages. */
#ifndef OVERTURE_SMTP_H
#define OVERTURE_SMTP_H

#include "config.h"

#include <glib.h>

struct smtp;

struct smtp *smtp_new(const struct config_smtp *cfg, GError **error);
void smtp_free(struct smtp *s);
typedef struct smtp OvSmtp;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OvSmtp, smtp_free)

/* Sends BYTES from ENVELOPE_FROM ("" for <>) to RECIPIENT. On success *REPLY is the
 * server's final reply (g_free). Errors: OV_ERROR_SMTP_TEMP, _PERM or _CONFIG, with the
 * server's own words in the message. */
gboolean smtp_send(struct smtp *s, const char *envelope_from, const char *recipient,
		   GBytes *bytes, char **reply, GError **error);

/* Connects, starts TLS, logs in and says NOOP: the server can be used. */
gboolean smtp_check(struct smtp *s, GError **error);

#endif
