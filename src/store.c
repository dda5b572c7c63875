/* The SQLite store. Opening applies the per-connection settings and the migrations
 * (PRAGMA user_version); every write runs inside BEGIN IMMEDIATE so concurrent writers
 * wait for each other instead of failing. Small helpers bind values by a type string:
 * 's' text (NULL -> NULL), 'i' gint64, 'd' int, 'b' GBytes. */
#include "store.h"

#include "error.h"
#include "ids.h"
#include "json.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

struct store {
	sqlite3 *db;
	char *path;
	GHashTable *locks; /* name -> fd + 1 */
};

static const char *const migrations[] = {
	/* 1: the initial schema */
	"CREATE TABLE leads ("
	" id TEXT PRIMARY KEY, ref TEXT NOT NULL UNIQUE,"
	" year INTEGER NOT NULL, seq INTEGER NOT NULL,"
	" status TEXT NOT NULL DEFAULT 'new',"
	" unread INTEGER NOT NULL DEFAULT 1, undeliverable INTEGER NOT NULL DEFAULT 0,"
	" applicant_email TEXT, contact_name TEXT, organisation TEXT, org_type TEXT,"
	" phone TEXT, website TEXT, postcode TEXT, area TEXT, functions TEXT,"
	" is_partnership_enquiry INTEGER NOT NULL DEFAULT 1,"
	" out_of_area INTEGER NOT NULL DEFAULT 0,"
	" provenance TEXT NOT NULL DEFAULT '{}', corrected TEXT NOT NULL DEFAULT '',"
	" assigned_to TEXT, subject TEXT NOT NULL DEFAULT '', quarantine_reason TEXT,"
	" ack_decision TEXT, message_count INTEGER NOT NULL DEFAULT 0, last_mail_at INTEGER,"
	" org_key TEXT, domain TEXT,"
	" created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, read_at INTEGER,"
	" UNIQUE (year, seq));"
	"CREATE INDEX leads_created ON leads (created_at DESC, seq DESC);"
	"CREATE INDEX leads_queue ON leads (is_partnership_enquiry, created_at DESC, seq DESC);"
	"CREATE INDEX leads_status ON leads (status, created_at DESC);"
	"CREATE INDEX leads_applicant ON leads (applicant_email);"
	"CREATE INDEX leads_org_key ON leads (org_key, created_at, id, ref);"
	"CREATE INDEX leads_domain ON leads (domain, created_at, id, ref);"
	/* Search: one row per lead (rowid = leads.rowid), its words folded to lower-case
	 * ASCII by the program so that "lukasz" finds Łukasz (see store_index_lead). */
	"CREATE VIRTUAL TABLE lead_search USING fts5 (body,"
	" tokenize = 'unicode61 remove_diacritics 2');"
	"CREATE TABLE state (key TEXT PRIMARY KEY, value TEXT);"
	"CREATE TABLE messages ("
	" id TEXT PRIMARY KEY, lead_id TEXT REFERENCES leads (id),"
	" kind TEXT NOT NULL, message_id TEXT, fingerprint TEXT UNIQUE,"
	" in_reply_to TEXT, refs TEXT, subject TEXT, from_name TEXT, from_addr TEXT,"
	" reply_to TEXT, return_path TEXT, date INTEGER, internaldate INTEGER, text TEXT,"
	" quoted TEXT,"
	" raw_path TEXT, raw_size INTEGER, mailbox TEXT, uidvalidity INTEGER, uid INTEGER,"
	" was_seen INTEGER NOT NULL DEFAULT 0, marked INTEGER NOT NULL DEFAULT 0,"
	" decision TEXT NOT NULL, filed_at INTEGER NOT NULL);"
	"CREATE INDEX messages_unmarked ON messages (mailbox, uidvalidity) WHERE NOT marked;"
	"CREATE INDEX messages_lead ON messages (lead_id);"
	"CREATE INDEX messages_message_id ON messages (message_id);"
	"CREATE INDEX messages_uid ON messages (mailbox, uidvalidity, uid);"
	"CREATE TABLE attachments ("
	" id INTEGER PRIMARY KEY, message TEXT NOT NULL REFERENCES messages (id),"
	" position INTEGER NOT NULL, filename TEXT NOT NULL, content_type TEXT NOT NULL,"
	" size INTEGER NOT NULL, sha256 TEXT NOT NULL, is_inline INTEGER NOT NULL,"
	" spool_path TEXT, note TEXT, text TEXT);"
	"CREATE INDEX attachments_message ON attachments (message);"
	"CREATE TABLE outbox ("
	" id INTEGER PRIMARY KEY, lead_id TEXT REFERENCES leads (id), kind TEXT NOT NULL,"
	" message_id TEXT NOT NULL UNIQUE, recipient TEXT NOT NULL,"
	" envelope_from TEXT NOT NULL, subject TEXT NOT NULL, bytes BLOB NOT NULL,"
	" status TEXT NOT NULL DEFAULT 'queued', attempts INTEGER NOT NULL DEFAULT 0,"
	" next_attempt INTEGER NOT NULL, claimed_by TEXT, claimed_at INTEGER,"
	" last_error TEXT, server_reply TEXT, created_at INTEGER NOT NULL, sent_at INTEGER,"
	" due_since INTEGER NOT NULL);"
	"CREATE INDEX outbox_due ON outbox (status, next_attempt);"
	"CREATE INDEX outbox_lead ON outbox (lead_id);"
	"CREATE TABLE notes ("
	" id INTEGER PRIMARY KEY, lead_id TEXT NOT NULL REFERENCES leads (id),"
	" author TEXT NOT NULL, text TEXT NOT NULL, created_at INTEGER NOT NULL);"
	"CREATE INDEX notes_lead ON notes (lead_id);"
	"CREATE TABLE events ("
	" id INTEGER PRIMARY KEY, lead_id TEXT REFERENCES leads (id), actor TEXT NOT NULL,"
	" action TEXT NOT NULL, detail TEXT, created_at INTEGER NOT NULL);"
	"CREATE INDEX events_lead ON events (lead_id);"
	"CREATE TABLE mailbox_state ("
	" mailbox TEXT PRIMARY KEY, uidvalidity INTEGER NOT NULL,"
	" last_uid INTEGER NOT NULL, updated_at INTEGER NOT NULL);"
	"CREATE TABLE fetch_failures ("
	" mailbox TEXT NOT NULL, uidvalidity INTEGER NOT NULL, uid INTEGER NOT NULL,"
	" attempts INTEGER NOT NULL, last_error TEXT, PRIMARY KEY (mailbox, uidvalidity, uid));",
};

static gint64 now_seconds(void)
{
	return g_get_real_time() / G_USEC_PER_SEC;
}

static gboolean db_fail(struct store *st, GError **error, const char *what)
{
	int code = sqlite3_extended_errcode(st->db);
	g_set_error(error, OV_ERROR,
		    (code & 0xff) == SQLITE_BUSY ? OV_ERROR_BUSY : OV_ERROR_STORE,
		    "database %s: %s: %s", st->path, what, sqlite3_errmsg(st->db));
	return FALSE;
}

static gboolean bind_values(sqlite3_stmt *s, const char *types, va_list ap)
{
	for (int i = 0; types && types[i]; i++) {
		int rc = SQLITE_OK;
		switch (types[i]) {
		case 's':
			rc = sqlite3_bind_text(s, i + 1, va_arg(ap, const char *), -1,
					       SQLITE_TRANSIENT);
			break;
		case 'i':
			rc = sqlite3_bind_int64(s, i + 1, va_arg(ap, gint64));
			break;
		case 'd':
			rc = sqlite3_bind_int(s, i + 1, va_arg(ap, int));
			break;
		case 'b': {
			GBytes *b = va_arg(ap, GBytes *);
			gsize len = 0;
			const void *data = b ? g_bytes_get_data(b, &len) : NULL;
			rc = data ? sqlite3_bind_blob64(s, i + 1, data, len, SQLITE_TRANSIENT)
				  : sqlite3_bind_null(s, i + 1);
			break;
		}
		default:
			g_assert_not_reached();
		}
		if (rc != SQLITE_OK)
			return FALSE;
	}
	return TRUE;
}

/* A prepared statement with TYPES values bound; sqlite3_finalize it. */
static sqlite3_stmt *query(struct store *st, GError **error, const char *sql, const char *types,
			   ...)
{
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
		db_fail(st, error, "prepare");
		return NULL;
	}
	va_list ap;
	va_start(ap, types);
	gboolean ok = bind_values(s, types, ap);
	va_end(ap);
	if (!ok) {
		db_fail(st, error, "bind");
		sqlite3_finalize(s);
		return NULL;
	}
	return s;
}

/* Steps S: SQLITE_ROW, SQLITE_DONE, or 0 with ERROR set. */
static int step(struct store *st, sqlite3_stmt *s, GError **error)
{
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		return rc;
	db_fail(st, error, "step");
	return 0;
}

static gboolean exec(struct store *st, GError **error, const char *sql, const char *types, ...)
{
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return db_fail(st, error, "prepare");
	va_list ap;
	va_start(ap, types);
	gboolean ok = bind_values(s, types, ap);
	va_end(ap);
	if (!ok) {
		sqlite3_finalize(s);
		return db_fail(st, error, "bind");
	}
	int rc;
	while ((rc = step(st, s, error)) == SQLITE_ROW)
		;
	sqlite3_finalize(s);
	return rc == SQLITE_DONE;
}

static gboolean exec_script(struct store *st, const char *sql, GError **error)
{
	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return db_fail(st, error, "exec");
	return TRUE;
}

static char *col_text(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	return t ? g_strdup((const char *)t) : NULL;
}

static gpointer read_first_text(sqlite3_stmt *s)
{
	return col_text(s, 0);
}

/* Every row of S (NULL: its prepare failed) read by READ_ROW into a new array whose
 * elements FREE_ROW frees; finalizes S. NULL on an error. */
static GPtrArray *read_rows(struct store *st, sqlite3_stmt *s, gpointer (*read_row)(sqlite3_stmt *),
			    GDestroyNotify free_row, GError **error)
{
	if (!s)
		return NULL;
	GPtrArray *rows = g_ptr_array_new_with_free_func(free_row);
	int rc;
	while ((rc = step(st, s, error)) == SQLITE_ROW)
		g_ptr_array_add(rows, read_row(s));
	sqlite3_finalize(s);
	if (rc == 0)
		g_clear_pointer(&rows, g_ptr_array_unref);
	return rows;
}

gboolean store_begin(struct store *st, GError **error)
{
	return exec_script(st, "BEGIN IMMEDIATE", error);
}

gboolean store_commit(struct store *st, GError **error)
{
	if (exec_script(st, "COMMIT", error))
		return TRUE;
	store_rollback(st);
	return FALSE;
}

void store_rollback(struct store *st)
{
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

static gboolean migrate(struct store *st, GError **error)
{
	int latest = G_N_ELEMENTS(migrations);
	sqlite3_stmt *s = query(st, error, "PRAGMA user_version", NULL);
	if (!s)
		return FALSE;
	int version = step(st, s, error) == SQLITE_ROW ? sqlite3_column_int(s, 0) : -1;
	sqlite3_finalize(s);
	if (version < 0)
		return FALSE;
	if (version > latest) {
		g_set_error(error, OV_ERROR, OV_ERROR_STORE,
			    "database %s has schema version %d, newer than this Overture "
			    "understands (%d): install the newer Overture again",
			    st->path, version, latest);
		return FALSE;
	}
	for (int v = version; v < latest; v++) {
		g_autofree char *bump = g_strdup_printf("PRAGMA user_version = %d", v + 1);
		if (!store_begin(st, error))
			return FALSE;
		if (!exec_script(st, migrations[v], error) || !exec_script(st, bump, error)) {
			store_rollback(st);
			return FALSE;
		}
		if (!store_commit(st, error))
			return FALSE;
		log_debug("database %s migrated to schema version %d", st->path, v + 1);
	}
	return TRUE;
}

struct store *store_open(const char *path, GError **error)
{
	g_autofree char *dir = g_path_get_dirname(path);
	if (g_mkdir_with_parents(dir, 0770) != 0) {
		g_set_error(error, OV_ERROR, OV_ERROR_STORE, "cannot create %s: %s", dir,
			    g_strerror(errno));
		return NULL;
	}
	g_autoptr(OvStore) st = g_new0(struct store, 1);
	st->path = g_strdup(path);
	st->locks = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK) {
		db_fail(st, error, "open");
		return NULL;
	}
	sqlite3_busy_timeout(st->db, 10000);
	sqlite3_extended_result_codes(st->db, 1);
	if (!exec_script(st,
			 "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
			 "PRAGMA foreign_keys = ON;",
			 error) ||
	    !migrate(st, error))
		return NULL;
	return g_steal_pointer(&st);
}

void store_close(struct store *st)
{
	if (!st)
		return;
	GHashTableIter it;
	gpointer key, value;
	g_hash_table_iter_init(&it, st->locks);
	while (g_hash_table_iter_next(&it, &key, &value))
		close(GPOINTER_TO_INT(value) - 1);
	g_hash_table_unref(st->locks);
	if (st->db)
		sqlite3_close(st->db);
	g_free(st->path);
	g_free(st);
}

gboolean store_copy_to(struct store *st, const char *path, GError **error)
{
	sqlite3 *dest = NULL;
	gboolean ok = FALSE;
	if (sqlite3_open_v2(path, &dest, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) ==
	    SQLITE_OK) {
		sqlite3_backup *b = sqlite3_backup_init(dest, "main", st->db, "main");
		ok = b && sqlite3_backup_step(b, -1) == SQLITE_DONE;
		if (b)
			sqlite3_backup_finish(b);
	}
	if (!ok)
		g_set_error(error, OV_ERROR, OV_ERROR_STORE, "cannot copy %s to %s: %s", st->path,
			    path, dest ? sqlite3_errmsg(dest) : "out of memory");
	sqlite3_close(dest);
	return ok;
}

gboolean store_lock(struct store *st, const char *name, GError **error)
{
	if (g_hash_table_contains(st->locks, name))
		return TRUE;
	g_autofree char *path = g_strdup_printf("%s.%s.lock", st->path, name);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0660);
	if (fd < 0) {
		g_set_error(error, OV_ERROR, OV_ERROR_STORE, "cannot open %s: %s", path,
			    g_strerror(errno));
		return FALSE;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		close(fd);
		g_set_error(error, OV_ERROR, OV_ERROR_BUSY,
			    "another overture process is working (%s is locked)", path);
		return FALSE;
	}
	g_hash_table_insert(st->locks, g_strdup(name), GINT_TO_POINTER(fd + 1));
	return TRUE;
}

void store_unlock(struct store *st, const char *name)
{
	gpointer value = g_hash_table_lookup(st->locks, name);
	if (value) {
		close(GPOINTER_TO_INT(value) - 1);
		g_hash_table_remove(st->locks, name);
	}
}

/* ---- intake ---- */

/* The integer in the first column of the one row S gives (a count, a rowid). */
static gboolean count_rows(struct store *st, sqlite3_stmt *s, gint64 *count, GError **error)
{
	if (!s)
		return FALSE;
	int rc = step(st, s, error);
	*count = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_finalize(s);
	if (rc == SQLITE_DONE)
		g_set_error(error, OV_ERROR, OV_ERROR_NOT_FOUND, "database %s: no such row", st->path);
	return rc == SQLITE_ROW;
}


gboolean store_get_mailbox(struct store *st, const char *mailbox, struct mailbox_state *out,
			   GError **error)
{
	memset(out, 0, sizeof *out);
	sqlite3_stmt *s = query(st, error,
				"SELECT uidvalidity, last_uid FROM mailbox_state WHERE mailbox = ?",
				"s", mailbox);
	if (!s)
		return FALSE;
	int rc = step(st, s, error);
	if (rc == SQLITE_ROW) {
		out->known = TRUE;
		out->uidvalidity = sqlite3_column_int64(s, 0);
		out->last_uid = sqlite3_column_int64(s, 1);
	}
	sqlite3_finalize(s);
	return rc != 0;
}

gboolean store_reset_mailbox(struct store *st, const char *mailbox, gint64 uidvalidity,
			     gint64 last_uid, GError **error)
{
	return exec(st, error,
		    "INSERT INTO mailbox_state (mailbox, uidvalidity, last_uid, updated_at)"
		    " VALUES (?, ?, ?, ?) ON CONFLICT (mailbox) DO UPDATE SET"
		    " uidvalidity = excluded.uidvalidity, last_uid = excluded.last_uid,"
		    " updated_at = excluded.updated_at",
		    "siii", mailbox, uidvalidity, last_uid, now_seconds());
}

gboolean store_advance_mailbox(struct store *st, const char *mailbox, gint64 uidvalidity,
			       gint64 uid, GError **error)
{
	return exec(st, error,
		    "UPDATE mailbox_state SET last_uid = max(last_uid, ?), updated_at = ?"
		    " WHERE mailbox = ? AND uidvalidity = ?",
		    "iisi", uid, now_seconds(), mailbox, uidvalidity) &&
	       exec(st, error,
		    "DELETE FROM fetch_failures WHERE mailbox = ? AND uidvalidity = ? AND uid = ?",
		    "sii", mailbox, uidvalidity, uid);
}

GArray *store_pending_fetches(struct store *st, const char *mailbox, gint64 uidvalidity,
			      GError **error)
{
	sqlite3_stmt *s = query(st, error,
				"SELECT uid FROM fetch_failures WHERE mailbox = ? AND uidvalidity = ?"
				" ORDER BY uid",
				"si", mailbox, uidvalidity);
	if (!s)
		return NULL;
	GArray *uids = g_array_new(FALSE, FALSE, sizeof(gint64));
	int rc;
	while ((rc = step(st, s, error)) == SQLITE_ROW) {
		gint64 uid = sqlite3_column_int64(s, 0);
		g_array_append_val(uids, uid);
	}
	sqlite3_finalize(s);
	if (rc == 0)
		g_clear_pointer(&uids, g_array_unref);
	return uids;
}

GArray *store_unmarked(struct store *st, const char *mailbox, gint64 uidvalidity, GError **error)
{
	sqlite3_stmt *s = query(st, error,
				"SELECT uid, was_seen FROM messages WHERE mailbox = ?"
				" AND uidvalidity = ? AND NOT marked ORDER BY uid",
				"si", mailbox, uidvalidity);
	if (!s)
		return NULL;
	GArray *list = g_array_new(FALSE, FALSE, sizeof(struct unmarked));
	int rc;
	while ((rc = step(st, s, error)) == SQLITE_ROW) {
		struct unmarked u = {sqlite3_column_int64(s, 0), sqlite3_column_int(s, 1)};
		g_array_append_val(list, u);
	}
	sqlite3_finalize(s);
	if (rc == 0)
		g_clear_pointer(&list, g_array_unref);
	return list;
}

gboolean store_set_marked(struct store *st, const char *mailbox, gint64 uidvalidity, gint64 uid,
			  GError **error)
{
	return exec(st, error,
		    "UPDATE messages SET marked = 1 WHERE mailbox = ? AND uidvalidity = ? AND uid = ?",
		    "sii", mailbox, uidvalidity, uid);
}

gboolean store_note_fetch_failure(struct store *st, const char *mailbox, gint64 uidvalidity,
				  gint64 uid, const char *why, gint64 *attempts, GError **error)
{
	if (!exec(st, error,
		  "INSERT INTO fetch_failures (mailbox, uidvalidity, uid, attempts, last_error)"
		  " VALUES (?, ?, ?, 1, ?) ON CONFLICT DO UPDATE SET attempts = attempts + 1,"
		  " last_error = excluded.last_error",
		  "siis", mailbox, uidvalidity, uid, why))
		return FALSE;
	return count_rows(st,
			  query(st, error,
				"SELECT attempts FROM fetch_failures WHERE mailbox = ?"
				" AND uidvalidity = ? AND uid = ?",
				"sii", mailbox, uidvalidity, uid),
			  attempts, error);
}

gboolean store_find_fingerprint(struct store *st, const char *fingerprint, char **ref,
				GError **error)
{
	*ref = NULL;
	sqlite3_stmt *s = query(st, error,
				"SELECT coalesce(l.ref, '') FROM messages m"
				" LEFT JOIN leads l ON l.id = m.lead_id WHERE m.fingerprint = ?",
				"s", fingerprint);
	if (!s)
		return FALSE;
	int rc = step(st, s, error);
	if (rc == SQLITE_ROW)
		*ref = col_text(s, 0);
	sqlite3_finalize(s);
	return rc != 0;
}

gboolean store_message_id_known(struct store *st, const char *message_id, gboolean *known,
				GError **error)
{
	sqlite3_stmt *s = query(st, error,
				"SELECT 1 FROM messages WHERE message_id = ?"
				" UNION ALL SELECT 1 FROM outbox WHERE message_id = ? LIMIT 1",
				"ss", message_id, message_id);
	if (!s)
		return FALSE;
	int rc = step(st, s, error);
	*known = rc == SQLITE_ROW;
	sqlite3_finalize(s);
	return rc != 0;
}

char *store_lead_for_message_ids(struct store *st, GPtrArray *ids, GError **error)
{
	for (guint i = 0; ids && i < ids->len; i++) {
		sqlite3_stmt *s = query(st, error,
					"SELECT lead_id FROM messages WHERE message_id = ?1"
					" AND lead_id IS NOT NULL"
					" UNION ALL SELECT lead_id FROM outbox WHERE message_id = ?1"
					" AND lead_id IS NOT NULL LIMIT 1",
					"s", (const char *)ids->pdata[i]);
		if (!s)
			return NULL;
		int rc = step(st, s, error);
		char *lead = rc == SQLITE_ROW ? col_text(s, 0) : NULL;
		sqlite3_finalize(s);
		if (lead || rc == 0)
			return lead;
	}
	return NULL;
}

char *store_lead_id_for_ref(struct store *st, const char *ref, GError **error)
{
	sqlite3_stmt *s = query(st, error, "SELECT id FROM leads WHERE ref = upper(?)", "s", ref);
	if (!s)
		return NULL;
	char *id = step(st, s, error) == SQLITE_ROW ? col_text(s, 0) : NULL;
	sqlite3_finalize(s);
	return id;
}

/* Where each field came from, as a JSON object with the fields in name order. */
gboolean store_count_recent_acks(struct store *st, const char *address, gint64 since,
				 gint64 *count, GError **error)
{
	return count_rows(st,
			  query(st, error,
				"SELECT count(*) FROM outbox WHERE kind = 'ack'"
				" AND recipient = lower(?) AND created_at >= ? AND status != 'failed'",
				"si", address, since),
			  count, error);
}

gboolean store_count_open_leads(struct store *st, const char *address, gint64 *count,
				GError **error)
{
	return count_rows(st,
			  query(st, error,
				"SELECT count(*) FROM leads WHERE applicant_email = lower(?)"
				" AND status IN ('new', 'reviewing', 'contacted')",
				"s", address),
			  count, error);
}

static char *provenance_json(GHashTable *provenance)
{
	struct json j;
	json_init(&j);
	json_begin_object(&j);
	if (provenance) {
		g_autoptr(GList) keys = g_hash_table_get_keys(provenance);
		keys = g_list_sort(keys, (GCompareFunc)strcmp);
		for (GList *k = keys; k; k = k->next)
			json_member_string(&j, k->data, g_hash_table_lookup(provenance, k->data));
	}
	json_end_object(&j);
	return g_strchomp(json_finish(&j));
}

gboolean store_insert_lead(struct store *st, const char *prefix, const struct lead_fields *f,
			   const struct new_lead *n, char **id, char **ref, GError **error)
{
	gint64 now = now_seconds();
	g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(now);
	int year = g_date_time_get_year(dt);
	sqlite3_stmt *s = query(st, error,
				"SELECT coalesce(max(seq), 0) + 1 FROM leads WHERE year = ?", "d",
				year);
	if (!s)
		return FALSE;
	gint64 seq = step(st, s, error) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_finalize(s);
	if (!seq)
		return FALSE;
	g_autofree char *new_id = ids_new_uuid();
	g_autofree char *new_ref = g_strdup_printf("%s-%d-%04" G_GINT64_FORMAT, prefix, year, seq);
	g_autofree char *prov = provenance_json(f->provenance);
	if (!exec(st, error,
		  "INSERT INTO leads (id, ref, year, seq, status, applicant_email, contact_name,"
		  " organisation, org_type, phone, website, postcode, area, functions,"
		  " is_partnership_enquiry, out_of_area, provenance, subject, quarantine_reason,"
		  " ack_decision, org_key, domain, created_at, updated_at)"
		  " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		  "ssdissssssssssddssssssii", new_id, new_ref, year, seq, n->status,
		  f->applicant_email, f->contact_name, f->organisation, f->org_type, f->phone,
		  f->website, f->postcode, f->area, f->functions, (int)f->is_partnership_enquiry,
		  (int)f->out_of_area, prov, n->subject, n->quarantine_reason, n->ack_decision,
		  f->org_key, f->domain, now, now))
		return FALSE;
	*id = g_steal_pointer(&new_id);
	*ref = g_steal_pointer(&new_ref);
	return TRUE;
}

static char *join_ids(GPtrArray *ids)
{
	if (!ids || !ids->len)
		return NULL;
	g_ptr_array_add(ids, NULL);
	char *joined = g_strjoinv(" ", (char **)ids->pdata);
	g_ptr_array_remove_index(ids, ids->len - 1);
	return joined;
}

static gboolean insert_attachments(struct store *st, const char *message, const struct mail *mail,
				   GError **error)
{
	for (guint i = 0; mail && i < mail->attachments->len; i++) {
		const struct mail_attachment *a = mail->attachments->pdata[i];
		if (!exec(st, error,
			  "INSERT INTO attachments (message, position, filename, content_type,"
			  " size, sha256, is_inline, spool_path, note, text)"
			  " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			  "sdssisdsss", message, (int)i + 1, a->filename, a->content_type, a->size,
			  a->sha256, (int)a->is_inline, a->stored, a->note, a->text))
			return FALSE;
	}
	return TRUE;
}

gboolean store_insert_message(struct store *st, const struct message_row *m, char **id,
			      GError **error)
{
	const struct mail *mail = m->mail;
	g_autofree char *new_id = ids_new_uuid();
	g_autofree char *irt = mail ? join_ids(mail->in_reply_to) : NULL;
	g_autofree char *refs = mail ? join_ids(mail->references) : NULL;
	if (!exec(st, error,
		  "INSERT INTO messages (id, lead_id, kind, message_id, fingerprint, in_reply_to,"
		  " refs, subject, from_name, from_addr, reply_to, return_path, date,"
		  " internaldate, text, quoted, raw_path, raw_size, mailbox, uidvalidity, uid,"
		  " was_seen, decision, filed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
		  " ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		  "ssssssssssssiisssisiidsi", new_id, m->lead_id, m->kind,
		  mail ? mail->message_id : NULL, m->fingerprint, irt, refs,
		  mail ? mail->subject : NULL, mail ? mail->from_name : NULL,
		  mail ? mail->from_addr : NULL, mail ? mail->reply_to_addr : NULL,
		  mail ? mail->return_path : NULL, mail ? mail->date : (gint64)0, m->internaldate,
		  mail ? mail->text : NULL, mail ? mail->quoted : NULL, m->raw_path, m->raw_size,
		  m->mailbox, m->uidvalidity, m->uid, (int)m->was_seen, m->decision,
		  now_seconds()))
		return FALSE;
	if (!insert_attachments(st, new_id, mail, error))
		return FALSE;
	if (m->lead_id &&
	    !exec(st, error,
		  "UPDATE leads SET message_count = message_count + 1, last_mail_at = ? WHERE id = ?",
		  "is", now_seconds(), m->lead_id))
		return FALSE;
	if (id)
		*id = g_steal_pointer(&new_id);
	return TRUE;
}

void quarantined_clear(struct quarantined *q)
{
	g_clear_pointer(&q->message_row, g_free);
	g_clear_pointer(&q->raw_path, g_free);
	g_clear_pointer(&q->fingerprint, g_free);
	g_clear_pointer(&q->mailbox, g_free);
}

gboolean store_get_quarantined(struct store *st, const char *lead_id, struct quarantined *out,
			       GError **error)
{
	memset(out, 0, sizeof *out);
	sqlite3_stmt *s = query(st, error,
				"SELECT id, raw_path, fingerprint, mailbox, uidvalidity, uid,"
				" internaldate, raw_size FROM messages WHERE lead_id = ?"
				" AND kind = 'quarantined' ORDER BY filed_at LIMIT 1",
				"s", lead_id);
	if (!s)
		return FALSE;
	int rc = step(st, s, error);
	if (rc == SQLITE_ROW) {
		out->message_row = col_text(s, 0);
		out->raw_path = col_text(s, 1);
		out->fingerprint = col_text(s, 2);
		out->mailbox = col_text(s, 3);
		out->uidvalidity = sqlite3_column_int64(s, 4);
		out->uid = sqlite3_column_int64(s, 5);
		out->internaldate = sqlite3_column_int64(s, 6);
		out->raw_size = sqlite3_column_int64(s, 7);
	}
	sqlite3_finalize(s);
	if (rc == SQLITE_DONE)
		g_set_error(error, OV_ERROR, OV_ERROR_NOT_FOUND, "the lead has no quarantined message");
	return rc == SQLITE_ROW;
}

gboolean store_refile_message(struct store *st, const char *id, const struct message_row *m,
			      GError **error)
{
	const struct mail *mail = m->mail;
	g_autofree char *irt = join_ids(mail->in_reply_to);
	g_autofree char *refs = join_ids(mail->references);
	return exec(st, error,
		    "UPDATE messages SET kind = ?, message_id = ?, fingerprint = ?, in_reply_to = ?,"
		    " refs = ?, subject = ?, from_name = ?, from_addr = ?, reply_to = ?,"
		    " return_path = ?, date = ?, text = ?, quoted = ?, raw_path = ?, raw_size = ?,"
		    " decision = ? WHERE id = ?",
		    "ssssssssssisssiss", m->kind, mail->message_id, m->fingerprint, irt, refs,
		    mail->subject, mail->from_name, mail->from_addr, mail->reply_to_addr,
		    mail->return_path, mail->date, mail->text, mail->quoted, m->raw_path,
		    m->raw_size, m->decision, id) &&
	       exec(st, error, "DELETE FROM attachments WHERE message = ?", "s", id) &&
	       insert_attachments(st, id, mail, error);
}

#define KEEP(column)                                                                          \
	column " = CASE WHEN instr(',' || corrected || ',', '," column ",') > 0 THEN " column     \
	" ELSE ? END"

gboolean store_requalify_lead(struct store *st, const char *lead_id, const struct lead_fields *f,
			      const struct new_lead *n, GError **error)
{
	g_autofree char *prov = provenance_json(f->provenance);
	/* A coordinator's corrections stay, and so does where they came from. */
	return exec(st, error,
		    "UPDATE leads SET status = ?, " KEEP("applicant_email") ", " KEEP("contact_name")
		    ", " KEEP("organisation") ", " KEEP("org_type") ", " KEEP("phone") ", "
		    KEEP("website") ", " KEEP("postcode") ", " KEEP("area") ", " KEEP("functions")
		    ", " KEEP("is_partnership_enquiry") ", " KEEP("out_of_area") ","
		    " provenance = json_patch(?, (SELECT json_group_object(key, value) FROM"
		    " json_each(provenance) WHERE value LIKE 'coordinator:%')),"
		    " subject = ?, quarantine_reason = NULL, ack_decision = ?, org_key = ?,"
		    " domain = ?, updated_at = ? WHERE id = ?",
		    "ssssssssssddsssssis", n->status, f->applicant_email, f->contact_name,
		    f->organisation, f->org_type, f->phone, f->website, f->postcode, f->area,
		    f->functions, (int)f->is_partnership_enquiry, (int)f->out_of_area, prov,
		    n->subject, n->ack_decision, f->org_key, f->domain, now_seconds(), lead_id);
}

gboolean store_set_quarantine_reason(struct store *st, const char *lead_id, const char *reason,
				     GError **error)
{
	return exec(st, error,
		    "UPDATE leads SET quarantine_reason = ?, updated_at = ? WHERE id = ?", "sis",
		    reason, now_seconds(), lead_id);
}

gboolean store_mark_undeliverable(struct store *st, const char *lead_id, const char *detail,
				  GError **error)
{
	return exec(st, error, "UPDATE leads SET undeliverable = 1, updated_at = ? WHERE id = ?",
		    "is", now_seconds(), lead_id) &&
	       store_add_event(st, lead_id, "overture", "bounced", detail, error);
}

gboolean store_clear_undeliverable(struct store *st, const char *address, GError **error)
{
	sqlite3_stmt *s = query(st, error,
				"UPDATE leads SET undeliverable = 0, updated_at = ?"
				" WHERE applicant_email = lower(?) AND undeliverable RETURNING id",
				"is", now_seconds(), address);
	if (!s)
		return FALSE;
	g_autoptr(GPtrArray) cleared = g_ptr_array_new_with_free_func(g_free);
	int rc;
	while ((rc = step(st, s, error)) == SQLITE_ROW)
		g_ptr_array_add(cleared, col_text(s, 0));
	sqlite3_finalize(s);
	for (guint i = 0; rc && i < cleared->len; i++)
		if (!store_add_event(st, cleared->pdata[i], "overture", "address works again",
				     address, error))
			return FALSE;
	return rc != 0;
}

gboolean store_outbox_note_bounce(struct store *st, GPtrArray *message_ids, const char *detail,
				  GError **error)
{
	g_autofree char *text = g_strdup_printf("bounced after sending: %s", detail);
	for (guint i = 0; message_ids && i < message_ids->len; i++)
		if (!exec(st, error, "UPDATE outbox SET last_error = ? WHERE message_id = ?", "ss",
			  text, (const char *)message_ids->pdata[i]))
			return FALSE;
	return TRUE;
}

/* Fills COLUMN with VALUE when it is empty and no coordinator corrected it; *FILLED says
 * whether it did. */
static gboolean fill_column(struct store *st, const char *lead_id, const char *column,
			    const char *value, const char *source, gboolean *filled, GError **error)
{
	*filled = FALSE;
	if (!value || !*value)
		return TRUE;
	g_autofree char *sql = g_strdup_printf(
		"UPDATE leads SET %s = ?1, provenance = CASE WHEN ?2 IS NULL THEN provenance ELSE"
		" json_set(provenance, '$.%s', ?2) END WHERE id = ?3 AND %s IS NULL"
		" AND instr(',' || corrected || ',', ',%s,') = 0",
		column, column, column, column);
	if (!exec(st, error, sql, "sss", value, source, lead_id))
		return FALSE;
	*filled = sqlite3_changes(st->db) == 1;
	return TRUE;
}

gboolean store_fill_fields(struct store *st, const char *lead_id, const struct lead_fields *f,
			   GError **error)
{
	const struct {
		const char *column, *value;
	} fields[] = {
		{"contact_name", f->contact_name}, {"organisation", f->organisation},
		{"org_type", f->org_type},	   {"phone", f->phone},
		{"website", f->website},	   {"postcode", f->postcode},
		{"area", f->area},		   {"functions", f->functions},
		{"org_key", f->org_key},	   {"domain", f->domain},
	};
	for (gsize i = 0; i < G_N_ELEMENTS(fields); i++) {
		const char *from = g_hash_table_lookup(f->provenance, fields[i].column);
		g_autofree char *source = from ? g_strdup_printf("later message: %s", from) : NULL;
		gboolean filled;
		if (!fill_column(st, lead_id, fields[i].column, fields[i].value, source, &filled,
				 error))
			return FALSE;
		g_autofree char *detail = g_strdup_printf("%s: '%s' (%s)", fields[i].column,
							  fields[i].value, from ? from : "");
		if (filled && from && !store_add_event(st, lead_id, "overture", "filled", detail, error))
			return FALSE;
	}
	return TRUE;
}

gboolean store_mark_lead_unread(struct store *st, const char *lead_id, GError **error)
{
	return exec(st, error, "UPDATE leads SET unread = 1, updated_at = ? WHERE id = ?", "is",
		    now_seconds(), lead_id);
}

gboolean store_queue_outgoing(struct store *st, const char *lead_id, const char *kind,
			      const struct outgoing *o, GError **error)
{
	gint64 now = now_seconds();
	return exec(st, error,
		    "INSERT INTO outbox (lead_id, kind, message_id, recipient, envelope_from,"
		    " subject, bytes, next_attempt, created_at, due_since)"
		    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		    "ssssssbiii", lead_id, kind, o->message_id, o->recipient, o->envelope_from,
		    o->subject, o->bytes, now, now, now);
}

gboolean store_add_event(struct store *st, const char *lead_id, const char *actor,
			 const char *action, const char *detail, GError **error)
{
	return exec(st, error,
		    "INSERT INTO events (lead_id, actor, action, detail, created_at)"
		    " VALUES (?, ?, ?, ?, ?)",
		    "ssssi", lead_id, actor, action, detail, now_seconds());
}

/* ---- outbox ---- */

void outbox_row_free(gpointer p)
{
	struct outbox_row *r = p;
	g_free(r->lead_id);
	g_free(r->lead_ref);
	g_free(r->kind);
	g_free(r->message_id);
	g_free(r->recipient);
	g_free(r->envelope_from);
	g_free(r->subject);
	if (r->bytes)
		g_bytes_unref(r->bytes);
	g_free(r->status);
	g_free(r->claimed_by);
	g_free(r->last_error);
	g_free(r->server_reply);
	g_free(r);
}

#define OUTBOX_COLUMNS                                                                        \
	"o.id, o.lead_id, l.ref, o.kind, o.message_id, o.recipient, o.envelope_from,"        \
	" o.subject, o.status, o.attempts, o.next_attempt, o.claimed_by, o.last_error,"       \
	" o.server_reply, o.created_at, o.sent_at, o.due_since"

static struct outbox_row *read_outbox_row(sqlite3_stmt *s)
{
	struct outbox_row *r = g_new0(struct outbox_row, 1);
	r->id = sqlite3_column_int64(s, 0);
	r->lead_id = col_text(s, 1);
	r->lead_ref = col_text(s, 2);
	r->kind = col_text(s, 3);
	r->message_id = col_text(s, 4);
	r->recipient = col_text(s, 5);
	r->envelope_from = col_text(s, 6);
	r->subject = col_text(s, 7);
	r->status = col_text(s, 8);
	r->attempts = sqlite3_column_int64(s, 9);
	r->next_attempt = sqlite3_column_int64(s, 10);
	r->claimed_by = col_text(s, 11);
	r->last_error = col_text(s, 12);
	r->server_reply = col_text(s, 13);
	r->created_at = sqlite3_column_int64(s, 14);
	r->sent_at = sqlite3_column_int64(s, 15);
	r->due_since = sqlite3_column_int64(s, 16);
	return r;
}

static GPtrArray *read_outbox_rows(struct store *st, sqlite3_stmt *s, gboolean with_bytes,
				   GError **error)
{
	if (!s)
		return NULL;
	GPtrArray *rows = g_ptr_array_new_with_free_func(outbox_row_free);
	int rc;
	while ((rc = step(st, s, error)) == SQLITE_ROW) {
		struct outbox_row *r = read_outbox_row(s);
		if (with_bytes)
			r->bytes = g_bytes_new(sqlite3_column_blob(s, 17),
					       sqlite3_column_bytes(s, 17));
		g_ptr_array_add(rows, r);
	}
	sqlite3_finalize(s);
	if (rc == 0)
		g_clear_pointer(&rows, g_ptr_array_unref);
	return rows;
}

GPtrArray *store_outbox_due(struct store *st, gint64 now, GError **error)
{
	sqlite3_stmt *s = query(st, error,
				"SELECT " OUTBOX_COLUMNS ", o.bytes FROM outbox o"
				" LEFT JOIN leads l ON l.id = o.lead_id"
				" WHERE (o.status = 'queued' AND o.next_attempt <= ?)"
				" OR o.status = 'sending' ORDER BY o.id",
				"i", now);
	return read_outbox_rows(st, s, TRUE, error);
}

gboolean store_outbox_retry(struct store *st, gint64 id, const char *actor, GError **error)
{
	if (!store_begin(st, error))
		return FALSE;
	sqlite3_stmt *s = query(st, error, "SELECT status, lead_id FROM outbox WHERE id = ?", "i", id);
	int rc = s ? step(st, s, error) : 0;
	g_autofree char *status = rc == SQLITE_ROW ? col_text(s, 0) : NULL;
	g_autofree char *lead = rc == SQLITE_ROW ? col_text(s, 1) : NULL;
	if (s)
		sqlite3_finalize(s);
	gboolean ok = rc != 0;
	if (rc == SQLITE_DONE) {
		g_set_error(error, OV_ERROR, OV_ERROR_NOT_FOUND,
			    "no outbox row %" G_GINT64_FORMAT " (overture outbox lists them)", id);
		ok = FALSE;
	} else if (ok && (!strcmp(status, "sent") || !strcmp(status, "sending"))) {
		g_set_error(error, OV_ERROR, OV_ERROR_INPUT,
			    "outbox row %" G_GINT64_FORMAT " is %s: sending it again would send a "
			    "second copy",
			    id, !strcmp(status, "sent") ? "already sent" : "being sent now");
		ok = FALSE;
	}
	gint64 now = now_seconds();
	g_autofree char *detail = g_strdup_printf("outbox row %" G_GINT64_FORMAT " (was %s) made due now",
						  id, status ? status : "?");
	ok = ok &&
	     exec(st, error,
		  "UPDATE outbox SET status = 'queued', next_attempt = ?, due_since = ? WHERE id = ?",
		  "iii", now, now, id) &&
	     (!lead || store_add_event(st, lead, actor, "outbox retry", detail, error));
	if (!ok) {
		store_rollback(st);
		return FALSE;
	}
	return store_commit(st, error);
}

GPtrArray *store_outbox_list(struct store *st, const char *lead_id, GError **error)
{
	sqlite3_stmt *s = query(st, error,
				"SELECT " OUTBOX_COLUMNS " FROM outbox o"
				" LEFT JOIN leads l ON l.id = o.lead_id"
				" WHERE ?1 IS NULL OR o.lead_id = ?1 ORDER BY o.id DESC",
				"s", lead_id);
	return read_outbox_rows(st, s, FALSE, error);
}

gboolean store_outbox_claim(struct store *st, gint64 id, const char *claimer, gboolean *claimed,
			    GError **error)
{
	gint64 now = now_seconds();
	if (!exec(st, error,
		  "UPDATE outbox SET status = 'sending', claimed_by = ?, claimed_at = ?,"
		  " attempts = attempts + 1 WHERE id = ? AND status IN ('queued', 'sending')",
		  "sii", claimer, now, id))
		return FALSE;
	*claimed = sqlite3_changes(st->db) == 1;
	return TRUE;
}

gboolean store_outbox_sent(struct store *st, gint64 id, const char *server_reply,
			   GError **error)
{
	return exec(st, error,
		    "UPDATE outbox SET status = 'sent', sent_at = ?, server_reply = ?,"
		    " last_error = NULL WHERE id = ?",
		    "isi", now_seconds(), server_reply, id);
}

gboolean store_outbox_defer(struct store *st, gint64 id, gint64 next_attempt, const char *why,
			    GError **error)
{
	return exec(st, error,
		    "UPDATE outbox SET status = 'queued', next_attempt = ?, last_error = ?,"
		    " claimed_by = NULL WHERE id = ?",
		    "isi", next_attempt, why, id);
}

gboolean store_outbox_fail(struct store *st, gint64 id, const char *why, GError **error)
{
	return exec(st, error,
		    "UPDATE outbox SET status = 'failed', last_error = ?, claimed_by = NULL"
		    " WHERE id = ?",
		    "si", why, id);
}

/* ---- the review queue ---- */

void lead_free(gpointer p)
{
	struct lead *l = p;
	if (!l)
		return;
	g_free(l->id);
	g_free(l->ref);
	g_free(l->status);
	g_free(l->applicant_email);
	g_free(l->contact_name);
	g_free(l->organisation);
	g_free(l->org_type);
	g_free(l->phone);
	g_free(l->website);
	g_free(l->postcode);
	g_free(l->area);
	g_free(l->functions);
	g_free(l->provenance);
	g_free(l->assigned_to);
	g_free(l->subject);
	g_free(l->quarantine_reason);
	g_free(l->ack_decision);
	g_free(l->corrected);
	g_free(l->org_key);
	g_free(l->domain);
	g_free(l);
}

#define LEAD_COLUMNS                                                                          \
	"l.id, l.ref, l.status, l.unread, l.undeliverable, l.applicant_email, l.contact_name,"  \
	" l.organisation, l.org_type, l.phone, l.website, l.postcode, l.area, l.functions,"     \
	" l.is_partnership_enquiry, l.out_of_area, l.provenance, l.assigned_to, l.subject,"     \
	" l.quarantine_reason, l.created_at, l.updated_at, l.ack_decision, l.message_count,"    \
	" l.corrected, l.last_mail_at, l.read_at, l.org_key, l.domain"

static gpointer read_lead(sqlite3_stmt *s)
{
	struct lead *l = g_new0(struct lead, 1);
	int c = 0;
	l->id = col_text(s, c++);
	l->ref = col_text(s, c++);
	l->status = col_text(s, c++);
	l->unread = sqlite3_column_int(s, c++);
	l->undeliverable = sqlite3_column_int(s, c++);
	l->applicant_email = col_text(s, c++);
	l->contact_name = col_text(s, c++);
	l->organisation = col_text(s, c++);
	l->org_type = col_text(s, c++);
	l->phone = col_text(s, c++);
	l->website = col_text(s, c++);
	l->postcode = col_text(s, c++);
	l->area = col_text(s, c++);
	l->functions = col_text(s, c++);
	l->is_partnership_enquiry = sqlite3_column_int(s, c++);
	l->out_of_area = sqlite3_column_int(s, c++);
	l->provenance = col_text(s, c++);
	l->assigned_to = col_text(s, c++);
	l->subject = col_text(s, c++);
	l->quarantine_reason = col_text(s, c++);
	l->created_at = sqlite3_column_int64(s, c++);
	l->updated_at = sqlite3_column_int64(s, c++);
	l->ack_decision = col_text(s, c++);
	l->message_count = sqlite3_column_int64(s, c++);
	l->corrected = col_text(s, c++);
	l->last_mail_at = sqlite3_column_int64(s, c++);
	l->read_at = sqlite3_column_int64(s, c++);
	l->org_key = col_text(s, c++);
	l->domain = col_text(s, c++);
	return l;
}

/* SQL text built from fixed fragments, with the values to bind in order. */
struct sql {
	GString *text;
	GPtrArray *values; /* struct sql_value * */
};

struct sql_value {
	gboolean is_int;
	gint64 i;
	char *s;
};

static void sql_value_free(gpointer p)
{
	struct sql_value *v = p;
	g_free(v->s);
	g_free(v);
}

static void sql_init(struct sql *q, const char *start)
{
	q->text = g_string_new(start);
	q->values = g_ptr_array_new_with_free_func(sql_value_free);
}

static void sql_clear(struct sql *q)
{
	g_string_free(q->text, TRUE);
	g_ptr_array_unref(q->values);
}

static void sql_text(struct sql *q, const char *fragment, const char *value)
{
	struct sql_value *v = g_new0(struct sql_value, 1);
	v->s = g_strdup(value);
	g_ptr_array_add(q->values, v);
	g_string_append(q->text, fragment);
}

static void sql_int(struct sql *q, const char *fragment, gint64 value)
{
	struct sql_value *v = g_new0(struct sql_value, 1);
	v->is_int = TRUE;
	v->i = value;
	g_ptr_array_add(q->values, v);
	g_string_append(q->text, fragment);
}

static sqlite3_stmt *sql_prepare(struct store *st, const struct sql *q, GError **error)
{
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(st->db, q->text->str, -1, &s, NULL) != SQLITE_OK) {
		db_fail(st, error, "prepare");
		return NULL;
	}
	for (guint i = 0; i < q->values->len; i++) {
		const struct sql_value *v = q->values->pdata[i];
		int rc = v->is_int ? sqlite3_bind_int64(s, i + 1, v->i)
				   : sqlite3_bind_text(s, i + 1, v->s, -1, SQLITE_TRANSIENT);
		if (rc != SQLITE_OK) {
			db_fail(st, error, "bind");
			sqlite3_finalize(s);
			return NULL;
		}
	}
	return s;
}

char *store_fold(const char *text)
{
	if (!text)
		return g_strdup("");
	g_autofree char *ascii = g_str_to_ascii(text, "C");
	return g_ascii_strdown(ascii, -1);
}

/* A safe FTS5 query from what a coordinator typed: every word must appear (as a prefix),
 * each quoted, so no FTS syntax from the user reaches SQLite. */
static char *fts_query(const char *search)
{
	g_autofree char *folded = store_fold(search);
	GString *q = g_string_new(NULL);
	g_auto(GStrv) words = g_regex_split_simple("[^a-z0-9]+", folded, 0, 0);
	for (char **w = words; *w; w++)
		if (**w)
			g_string_append_printf(q, "%s\"%s\"*", q->len ? " " : "", *w);
	return g_string_free(q, FALSE);
}

/* The WHERE part of a lead query for FILTER. */
static void add_filter(struct sql *q, const struct lead_filter *f)
{
	g_string_append(q->text, " WHERE 1");
	if (!f)
		return;
	if (f->search) {
		/* The full-text match is run once, not once per lead the other terms select. */
		g_autofree char *match = fts_query(f->search);
		sql_text(q, " AND l.rowid IN (SELECT rowid FROM lead_search WHERE lead_search MATCH ?)",
			 *match ? match : "\"\"");
	}
	if (f->status)
		sql_text(q, " AND l.status = ?", f->status);
	if (f->since)
		sql_int(q, " AND l.created_at >= ?", f->since);
	if (f->org_type)
		sql_text(q, " AND l.org_type = ?", f->org_type);
	if (f->function)
		sql_text(q, " AND (',' || coalesce(l.functions, '') || ',') LIKE '%,' || ? || ',%'",
			 f->function);
	if (f->assigned && !g_ascii_strcasecmp(f->assigned, "none"))
		g_string_append(q->text, " AND l.assigned_to IS NULL");
	else if (f->assigned)
		sql_text(q, " AND l.assigned_to = ?", f->assigned);
	if (f->unread)
		g_string_append(q->text, " AND l.unread");
	/* With a search the matches drive the query ("+" keeps the queue's index out). */
	if (f->partnership_only)
		g_string_append(q->text, f->search ? " AND +l.is_partnership_enquiry = 1"
						   : " AND l.is_partnership_enquiry = 1");
	if (f->after_seqno)
		sql_int(q, " AND l.rowid > ?", f->after_seqno);
}

GPtrArray *store_list_leads(struct store *st, const struct lead_filter *filter, GError **error)
{
	struct sql q;
	sql_init(&q, "SELECT " LEAD_COLUMNS " FROM leads l");
	add_filter(&q, filter);
	g_string_append(q.text, " ORDER BY l.created_at DESC, l.seq DESC");
	if (filter && filter->limit > 0)
		sql_int(&q, " LIMIT ?", filter->limit);
	sqlite3_stmt *s = sql_prepare(st, &q, error);
	sql_clear(&q);
	return read_rows(st, s, read_lead, lead_free, error);
}

/* Appends every column of every row of S to BODY. */
static gboolean append_rows(struct store *st, sqlite3_stmt *s, GString *body, GError **error)
{
	if (!s)
		return FALSE;
	int rc;
	while ((rc = step(st, s, error)) == SQLITE_ROW)
		for (int c = 0; c < sqlite3_column_count(s); c++) {
			const unsigned char *t = sqlite3_column_text(s, c);
			if (t)
				g_string_append_printf(body, "%s ", t);
		}
	sqlite3_finalize(s);
	return rc != 0;
}

gboolean store_index_lead(struct store *st, const char *lead_id, GError **error)
{
	g_autoptr(GString) body = g_string_new(NULL);
	gint64 rowid = 0;
	if (!count_rows(st, query(st, error, "SELECT rowid FROM leads WHERE id = ?", "s", lead_id),
			&rowid, error) ||
	    !append_rows(st,
			 query(st, error,
			       "SELECT ref, subject, contact_name, organisation, applicant_email,"
			       " phone, postcode, area FROM leads WHERE id = ?",
			       "s", lead_id),
			 body, error) ||
	    !append_rows(st,
			 query(st, error,
			       "SELECT subject, from_name, from_addr, text, quoted FROM messages"
			       " WHERE lead_id = ?",
			       "s", lead_id),
			 body, error) ||
	    !append_rows(st,
			 query(st, error,
			       "SELECT a.filename, a.text FROM attachments a"
			       " JOIN messages m ON m.id = a.message WHERE m.lead_id = ?",
			       "s", lead_id),
			 body, error))
		return FALSE;
	g_autofree char *folded = store_fold(body->str);
	return exec(st, error, "DELETE FROM lead_search WHERE rowid = ?", "i", rowid) &&
	       exec(st, error, "INSERT INTO lead_search (rowid, body) VALUES (?, ?)", "is", rowid,
		    folded);
}

#define RELATED_LEADS                                                                          \
	" FROM leads l WHERE l.id != ?1 AND ((?2 IS NOT NULL AND l.org_key = ?2) OR"           \
	" (?3 IS NOT NULL AND l.domain = ?3)) ORDER BY l.created_at DESC LIMIT 20"

GPtrArray *store_related_refs(struct store *st, const struct lead *lead, GError **error)
{
	if (!lead->org_key && !lead->domain)
		return g_ptr_array_new_with_free_func(g_free);
	return read_rows(st,
			 query(st, error, "SELECT l.ref" RELATED_LEADS, "sss", lead->id,
			       lead->org_key, lead->domain),
			 read_first_text, g_free, error);
}

GPtrArray *store_related_leads(struct store *st, const struct lead *lead, GError **error)
{
	return read_rows(st,
			 query(st, error, "SELECT " LEAD_COLUMNS RELATED_LEADS, "sss", lead->id,
			       lead->org_key, lead->domain),
			 read_lead, lead_free, error);
}

struct lead *store_get_lead(struct store *st, const char *ref, GError **error)
{
	sqlite3_stmt *s = query(st, error,
				"SELECT " LEAD_COLUMNS " FROM leads l"
				" WHERE l.ref = upper(?1) OR l.id = lower(?1)",
				"s", ref);
	if (!s)
		return NULL;
	int rc = step(st, s, error);
	struct lead *l = rc == SQLITE_ROW ? read_lead(s) : NULL;
	sqlite3_finalize(s);
	if (rc == SQLITE_DONE)
		g_set_error(error, OV_ERROR, OV_ERROR_NOT_FOUND,
			    "no lead %s (overture leads lists them)", ref);
	return l;
}

void stored_message_free(gpointer p)
{
	struct stored_message *m = p;
	g_free(m->id);
	g_free(m->kind);
	g_free(m->message_id);
	g_free(m->from_name);
	g_free(m->from_addr);
	g_free(m->subject);
	g_free(m->text);
	g_free(m->quoted);
	g_free(m->decision);
	g_free(m->raw_path);
	g_ptr_array_unref(m->attachments);
	g_free(m);
}

static void stored_attachment_free(gpointer p)
{
	struct stored_attachment *a = p;
	g_free(a->filename);
	g_free(a->content_type);
	g_free(a->sha256);
	g_free(a->spool_path);
	g_free(a->note);
	g_free(a->text);
	g_free(a);
}

static gboolean read_attachments(struct store *st, struct stored_message *m, GError **error)
{
	sqlite3_stmt *s = query(st, error,
				"SELECT filename, content_type, size, sha256, spool_path, note, text,"
				" position FROM attachments WHERE message = ? ORDER BY position",
				"s", m->id);
	if (!s)
		return FALSE;
	int rc;
	while ((rc = step(st, s, error)) == SQLITE_ROW) {
		struct stored_attachment *a = g_new0(struct stored_attachment, 1);
		a->filename = col_text(s, 0);
		a->content_type = col_text(s, 1);
		a->size = sqlite3_column_int64(s, 2);
		a->sha256 = col_text(s, 3);
		a->spool_path = col_text(s, 4);
		a->note = col_text(s, 5);
		a->text = col_text(s, 6);
		a->position = sqlite3_column_int(s, 7);
		g_ptr_array_add(m->attachments, a);
	}
	sqlite3_finalize(s);
	return rc != 0;
}

static gpointer read_message(sqlite3_stmt *s)
{
	struct stored_message *m = g_new0(struct stored_message, 1);
	m->id = col_text(s, 0);
	m->kind = col_text(s, 1);
	m->message_id = col_text(s, 2);
	m->from_name = col_text(s, 3);
	m->from_addr = col_text(s, 4);
	m->subject = col_text(s, 5);
	m->date = sqlite3_column_int64(s, 6);
	m->filed_at = sqlite3_column_int64(s, 7);
	m->text = col_text(s, 8);
	m->decision = col_text(s, 9);
	m->raw_path = col_text(s, 10);
	m->quoted = col_text(s, 11);
	m->attachments = g_ptr_array_new_with_free_func(stored_attachment_free);
	return m;
}

GPtrArray *store_lead_messages(struct store *st, const char *lead_id, GError **error)
{
	g_autoptr(GPtrArray) list = read_rows(
		st,
		query(st, error,
		      "SELECT id, kind, message_id, from_name, from_addr, subject, date,"
		      " filed_at, text, decision, raw_path, quoted FROM messages"
		      " WHERE lead_id = ? ORDER BY filed_at, rowid",
		      "s", lead_id),
		read_message, stored_message_free, error);
	for (guint i = 0; list && i < list->len; i++)
		if (!read_attachments(st, list->pdata[i], error))
			return NULL;
	return g_steal_pointer(&list);
}

void event_free(gpointer p)
{
	struct event *e = p;
	g_free(e->actor);
	g_free(e->action);
	g_free(e->detail);
	g_free(e);
}

static gpointer read_event(sqlite3_stmt *s)
{
	struct event *e = g_new0(struct event, 1);
	e->actor = col_text(s, 0);
	e->action = col_text(s, 1);
	e->detail = col_text(s, 2);
	e->at = sqlite3_column_int64(s, 3);
	return e;
}

GPtrArray *store_lead_events(struct store *st, const char *lead_id, GError **error)
{
	return read_rows(st,
			 query(st, error,
			       "SELECT actor, action, detail, created_at FROM events"
			       " WHERE lead_id = ? ORDER BY id",
			       "s", lead_id),
			 read_event, event_free, error);
}

/* ---- coordinators' changes ---- */

static gboolean in_transaction(struct store *st, GError **error)
{
	return sqlite3_get_autocommit(st->db) ? store_begin(st, error) : TRUE;
}

/* Commits what in_transaction began, or rolls it back when OK is FALSE. */
static gboolean finish(struct store *st, gboolean began, gboolean ok, GError **error)
{
	if (!began)
		return ok;
	if (!ok) {
		store_rollback(st);
		return FALSE;
	}
	return store_commit(st, error);
}

/* The current text of COLUMN_SQL ("SELECT col FROM leads WHERE id = ?") for the history. */
static char *current_value(struct store *st, const char *sql, const char *lead_id, GError **error)
{
	sqlite3_stmt *s = query(st, error, sql, "s", lead_id);
	if (!s)
		return NULL;
	char *v = step(st, s, error) == SQLITE_ROW ? col_text(s, 0) : NULL;
	sqlite3_finalize(s);
	return v ? v : g_strdup("");
}

gboolean store_set_status(struct store *st, const char *lead_id, const char *status,
			  const char *actor, GError **error)
{
	gboolean began = sqlite3_get_autocommit(st->db);
	if (!in_transaction(st, error))
		return FALSE;
	g_autofree char *old = current_value(st, "SELECT status FROM leads WHERE id = ?", lead_id, error);
	g_autofree char *detail = g_strdup_printf("%s -> %s", old ? old : "?", status);
	gboolean ok = old &&
		      exec(st, error, "UPDATE leads SET status = ?, updated_at = ? WHERE id = ?",
			   "sis", status, now_seconds(), lead_id) &&
		      store_add_event(st, lead_id, actor, "status", detail, error);
	return finish(st, began, ok, error);
}

struct settable {
	const char *field;
	const char *column; /* its name in corrected, provenance and --json */
	const char *select; /* its current value */
	const char *update; /* ?1 value, ?2 column, ?3 actor, ?4 now, ?5 lead id */
};

#define SET_FIELD(field, column) SET_FIELD_AS(field, column, column, "nullif(?1, '')")

/* COLUMN shown as SHOWN, and set to VALUE (an SQL expression of ?1, the text given). */
#define SET_FIELD_AS(field, column, shown, value)                                              \
	{field, column, "SELECT " shown " FROM leads WHERE id = ?",                                   \
	 "UPDATE leads SET " column " = " value ","                                             \
	 " corrected = CASE WHEN instr(',' || corrected || ',', ',' || ?2 || ',') > 0"          \
	 " THEN corrected WHEN corrected = '' THEN ?2 ELSE corrected || ',' || ?2 END,"          \
	 " provenance = json_set(provenance, '$.' || ?2, 'coordinator: ' || ?3),"               \
	 " updated_at = ?4 WHERE id = ?5"}

static const struct settable settable[] = {
	SET_FIELD("organisation", "organisation"), SET_FIELD("type", "org_type"),
	SET_FIELD("contact", "contact_name"),	    SET_FIELD("email", "applicant_email"),
	SET_FIELD("phone", "phone"),		    SET_FIELD("website", "website"),
	SET_FIELD("postcode", "postcode"),	    SET_FIELD("area", "area"),
	SET_FIELD("functions", "functions"),
	SET_FIELD_AS("partnership", "is_partnership_enquiry",
		     "CASE is_partnership_enquiry WHEN 1 THEN 'yes' ELSE 'no' END", "?1 = 'yes'"),
	SET_FIELD_AS("out_of_area", "out_of_area",
		     "CASE out_of_area WHEN 1 THEN 'yes' ELSE 'no' END", "?1 = 'yes'"),
};

const char *const store_settable_fields[] = {"organisation", "type",	 "contact",
					     "email",	     "phone",	 "website",
					     "postcode",     "area",	 "functions",
					     "partnership",  "out_of_area", NULL};

gboolean store_set_field(struct store *st, const char *lead_id, const char *field,
			 const char *value, const char *actor, GError **error)
{
	const struct settable *f = NULL;
	for (gsize i = 0; i < G_N_ELEMENTS(settable); i++)
		if (!strcmp(settable[i].field, field))
			f = &settable[i];
	if (!f) {
		g_autofree char *all = g_strjoinv(", ", (char **)store_settable_fields);
		g_set_error(error, OV_ERROR, OV_ERROR_INPUT,
			    "'%s' cannot be set; the fields are: status, %s", field, all);
		return FALSE;
	}
	gboolean began = sqlite3_get_autocommit(st->db);
	if (!in_transaction(st, error))
		return FALSE;
	g_autofree char *old = current_value(st, f->select, lead_id, error);
	g_autofree char *detail = g_strdup_printf("%s: '%s' -> '%s'", field, old ? old : "", value);
	gboolean ok = old && exec(st, error, f->update, "sssis", value, f->column, actor,
				  now_seconds(), lead_id) &&
		      store_add_event(st, lead_id, actor, "set", detail, error) &&
		      store_index_lead(st, lead_id, error);
	return finish(st, began, ok, error);
}

gboolean store_assign(struct store *st, const char *lead_id, const char *name,
		      const char *actor, GError **error)
{
	gboolean began = sqlite3_get_autocommit(st->db);
	if (!in_transaction(st, error))
		return FALSE;
	g_autofree char *detail = name ? g_strdup_printf("to %s", name) : g_strdup("unassigned");
	gboolean ok = exec(st, error,
			   "UPDATE leads SET assigned_to = ?, updated_at = ? WHERE id = ?", "sis",
			   name, now_seconds(), lead_id) &&
		      store_add_event(st, lead_id, actor, "assigned", detail, error);
	return finish(st, began, ok, error);
}

gboolean store_add_note(struct store *st, const char *lead_id, const char *author,
			const char *text, GError **error)
{
	gboolean began = sqlite3_get_autocommit(st->db);
	if (!in_transaction(st, error))
		return FALSE;
	gint64 now = now_seconds();
	g_autofree char *excerpt = g_utf8_substring(text, 0, MIN(g_utf8_strlen(text, -1), 60));
	gboolean ok = exec(st, error,
			   "INSERT INTO notes (lead_id, author, text, created_at) VALUES (?, ?, ?, ?)",
			   "sssi", lead_id, author, text, now) &&
		      exec(st, error, "UPDATE leads SET updated_at = ? WHERE id = ?", "is", now,
			   lead_id) &&
		      store_add_event(st, lead_id, author, "note", excerpt, error);
	return finish(st, began, ok, error);
}

void note_free(gpointer p)
{
	struct note *n = p;
	g_free(n->author);
	g_free(n->text);
	g_free(n);
}

static gpointer read_note(sqlite3_stmt *s)
{
	struct note *n = g_new0(struct note, 1);
	n->author = col_text(s, 0);
	n->text = col_text(s, 1);
	n->at = sqlite3_column_int64(s, 2);
	return n;
}

GPtrArray *store_lead_notes(struct store *st, const char *lead_id, GError **error)
{
	return read_rows(st,
			 query(st, error,
			       "SELECT author, text, created_at FROM notes WHERE lead_id = ?"
			       " ORDER BY id",
			       "s", lead_id),
			 read_note, note_free, error);
}

GPtrArray *store_lead_sources(struct store *st, const char *lead_id, GError **error)
{
	return read_rows(st,
			 query(st, error,
			       "SELECT p.key || char(9) || p.value FROM leads l,"
			       " json_each(l.provenance) p WHERE l.id = ? ORDER BY p.key",
			       "s", lead_id),
			 read_first_text, g_free, error);
}

gboolean store_last_seqno(struct store *st, gint64 *seqno, GError **error)
{
	return count_rows(st, query(st, error, "SELECT coalesce(max(rowid), 0) FROM leads", NULL),
			  seqno, error);
}

char *store_get_state(struct store *st, const char *key, GError **error)
{
	sqlite3_stmt *s = query(st, error, "SELECT value FROM state WHERE key = ?", "s", key);
	if (!s)
		return NULL;
	char *v = step(st, s, error) == SQLITE_ROW ? col_text(s, 0) : NULL;
	sqlite3_finalize(s);
	return v;
}

gboolean store_set_state(struct store *st, const char *key, const char *value, GError **error)
{
	return exec(st, error,
		    "INSERT INTO state (key, value) VALUES (?, ?)"
		    " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
		    "ss", key, value);
}

gboolean store_mark_lead_read(struct store *st, const char *lead_id, GError **error)
{
	return exec(st, error, "UPDATE leads SET unread = 0, read_at = ? WHERE id = ? AND unread",
		    "is", now_seconds(), lead_id);
}
