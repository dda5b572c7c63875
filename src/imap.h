/* IMAP with libcurl: select the mailbox, find new UIDs, read message metadata, fetch one
 * message into a file, and mark messages after filing (flags or move). One connection
 * is reused across requests. A struct imap owns its curl handle and buffers; it never
 * logs or returns the password. See TECH-NOTES.md §1 for the libcurl 7.88 pitfalls this
 * code avoids (batch body fetches, truncated SEARCH replies, URL-decoded commands). */
#ifndef OVERTURE_IMAP_H
#define OVERTURE_IMAP_H

#include "config.h"

#include <glib.h>

struct imap;

struct imap_mailbox {
	gint64 uidvalidity;
	gint64 uidnext;
	gint64 exists;
};

struct imap_meta {
	gint64 uid;
	gint64 size;
	gboolean seen;
	gint64 internaldate; /* Unix time, 0 when the server gave none */
};

struct imap *imap_new(const struct config_imap *cfg, GError **error);
void imap_free(struct imap *im);
typedef struct imap OvImap;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OvImap, imap_free)

/* The mailbox name from the URL (e.g. "INBOX"). */
const char *imap_mailbox_name(const struct imap *im);

/* Logs in (if needed) and selects the mailbox. */
gboolean imap_select(struct imap *im, struct imap_mailbox *out, GError **error);

/* UIDs >= FIRST in ascending order (a GArray of gint64); BOX is from imap_select. */
GArray *imap_search_from(struct imap *im, const struct imap_mailbox *box, gint64 first,
			 GError **error);
/* UIDs of messages whose INTERNALDATE is on or after the day of SINCE (Unix time). */
GArray *imap_search_since(struct imap *im, const struct imap_mailbox *box, gint64 since,
			  GError **error);

/* Size, \Seen and INTERNALDATE of each of UIDS (a GArray of struct imap_meta). */
GArray *imap_fetch_meta(struct imap *im, GArray *uids, GError **error);

/* Writes message UID into FD (the whole message, or only its header section when
 * HEADER_ONLY). Fails with OV_ERROR_TOO_BIG past LIMIT bytes (0: no limit), with
 * OV_ERROR_MAILBOX_CHANGED when UIDVALIDITY is no longer UIDVALIDITY, and with
 * OV_ERROR_NOT_FOUND when the message is gone. */
gboolean imap_fetch(struct imap *im, gint64 uidvalidity, gint64 uid, gboolean header_only,
		    int fd, gint64 limit, GError **error);

gboolean imap_set_seen(struct imap *im, gint64 uid, gboolean seen, GError **error);
/* Moves UID to FOLDER (created when missing); UID MOVE when the server has it. */
gboolean imap_move(struct imap *im, gint64 uid, const char *folder, GError **error);

/* "22-Nov-2026 10:04:00 +0000" -> Unix time; 0 when unreadable. */
gint64 imap_parse_internaldate(const char *text);

#endif
