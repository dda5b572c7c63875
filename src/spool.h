/* The spool: the raw bytes of every message fetched, one file each, so nothing fetched
 * is ever lost and any message can be parsed again, and attachment content (up to
 * [store] max_attachment_size), one file per distinct content. A fetch writes into tmp/;
 * a file is kept by fsync + rename into msg/ or att/ BEFORE the commit that names it. */
#ifndef OVERTURE_SPOOL_H
#define OVERTURE_SPOOL_H

#include <glib.h>

/* Creates DIR, DIR/tmp and DIR/msg when missing. */
gboolean spool_prepare(const char *dir, GError **error);

/* Opens a new empty file in DIR/tmp; the caller owns the fd and *tmp_path (g_free). */
int spool_create_temp(const char *dir, char **tmp_path, GError **error);

/* Makes TMP_PATH durable as DIR/msg/NAME (fsync file, rename, fsync directory).
 * Returns the name relative to DIR to record in the database (g_free). */
char *spool_keep(const char *dir, const char *tmp_path, const char *name, GError **error);

/* Makes attachment content TMP_PATH durable as DIR/att/XX/SHA256 (content-addressed: a
 * copy already there is kept and TMP_PATH removed). Returns the name relative to DIR. */
char *spool_keep_attachment(const char *dir, const char *tmp_path, const char *sha256,
			    GError **error);

/* The absolute path of a name returned by spool_keep (g_free). */
char *spool_path(const char *dir, const char *relative);

/* Removes temporary files left in DIR/tmp by a process that crashed mid-fetch. */
void spool_clean_temp(const char *dir);

#endif
