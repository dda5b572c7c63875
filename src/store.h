/* Store: the SQLite database (WAL, synchronous=FULL, BEGIN IMMEDIATE) that holds leads,
 * messages, attachments, the outbox, notes, the audit history and each mailbox's
 * (UIDVALIDITY, last filed UID). All SQL lives here; values are always bound, never
 * spliced. A struct store owns its connection and its lock files. */
#ifndef OVERTURE_STORE_H
#define OVERTURE_STORE_H

#include "compose.h"
#include "extract.h"
#include "mime.h"

#include <glib.h>

struct store;
struct lead;

/* Opens (creating and migrating) the database at PATH. */
struct store *store_open(const char *path, GError **error);
void store_close(struct store *st);
typedef struct store OvStore;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OvStore, store_close)

/* Writes a consistent copy of the whole database to PATH (SQLite's backup API). */
gboolean store_copy_to(struct store *st, const char *path, GError **error);

/* A process-wide lock named NAME ("intake", "send") beside the database; FALSE with
 * OV_ERROR_BUSY when another process holds it. Held until store_unlock or exit. */
gboolean store_lock(struct store *st, const char *name, GError **error);
void store_unlock(struct store *st, const char *name);

gboolean store_begin(struct store *st, GError **error); /* BEGIN IMMEDIATE */
gboolean store_commit(struct store *st, GError **error);
void store_rollback(struct store *st);

/* ---- intake ---- */

struct mailbox_state {
	gboolean known;
	gint64 uidvalidity;
	gint64 last_uid;
};

gboolean store_get_mailbox(struct store *st, const char *mailbox, struct mailbox_state *out,
			   GError **error);
/* Starts MAILBOX afresh (first run or UIDVALIDITY change) at LAST_UID. */
gboolean store_reset_mailbox(struct store *st, const char *mailbox, gint64 uidvalidity,
			     gint64 last_uid, GError **error);
/* Raises last_uid to UID (never lowers it) and forgets UID's failed fetches. Call inside
 * the filing transaction. */
gboolean store_advance_mailbox(struct store *st, const char *mailbox, gint64 uidvalidity,
			       gint64 uid, GError **error);

/* UIDs whose fetch the server refused before, to try again (GArray of gint64). */
GArray *store_pending_fetches(struct store *st, const char *mailbox, gint64 uidvalidity,
			      GError **error);

/* Filed messages not yet marked on the server (a crash came between the commit and the
 * marking): they are marked on the next pass. */
struct unmarked {
	gint64 uid;
	gboolean was_seen;
};
GArray *store_unmarked(struct store *st, const char *mailbox, gint64 uidvalidity, GError **error);
gboolean store_set_marked(struct store *st, const char *mailbox, gint64 uidvalidity, gint64 uid,
			  GError **error);

/* Counts one more failed fetch of UID; *ATTEMPTS is the count so far. */
gboolean store_note_fetch_failure(struct store *st, const char *mailbox, gint64 uidvalidity,
				  gint64 uid, const char *why, gint64 *attempts, GError **error);

/* The ref of the lead that holds a message with FINGERPRINT ("" for a message on no
 * lead), or NULL when no such message was filed. */
gboolean store_find_fingerprint(struct store *st, const char *fingerprint, char **ref,
				GError **error);
/* TRUE when some filed message has MESSAGE_ID. */
gboolean store_message_id_known(struct store *st, const char *message_id, gboolean *known,
				GError **error);
/* The lead (id) a message with one of IDS belongs to, in or out, or NULL. */
char *store_lead_for_message_ids(struct store *st, GPtrArray *ids, GError **error);
/* The lead id with reference REF, or NULL. */
char *store_lead_id_for_ref(struct store *st, const char *ref, GError **error);

/* How many acknowledgements went (or are going) to ADDRESS since SINCE. */
gboolean store_count_recent_acks(struct store *st, const char *address, gint64 since,
				 gint64 *count, GError **error);
/* How many leads of ADDRESS are open (new, reviewing, contacted). */
gboolean store_count_open_leads(struct store *st, const char *address, gint64 *count,
				GError **error);

/* What a lead is filed with, besides its fields. */
struct new_lead {
	const char *status;
	const char *subject;
	const char *quarantine_reason;
	const char *ack_decision; /* of its first message */
};

/* Inserts a lead; returns its new id and reference (PREFIX-YEAR-NNNN). */
gboolean store_insert_lead(struct store *st, const char *prefix, const struct lead_fields *f,
			   const struct new_lead *n, char **id, char **ref, GError **error);

/* Rebuilds the lead's row in the search index (after its mail or fields changed). */
gboolean store_index_lead(struct store *st, const char *lead_id, GError **error);

/* TEXT in lower-case ASCII, as the search index holds words ("Łukasz" -> "lukasz"). */
char *store_fold(const char *text);

struct message_row {
	const char *lead_id; /* NULL: on no lead */
	const char *kind;    /* enquiry | follow_up | robot | quarantined | bounce */
	const char *fingerprint;
	const char *raw_path; /* relative to the spool; NULL when no bytes were kept */
	gint64 raw_size;
	const char *mailbox;
	gint64 uidvalidity;
	gint64 uid;
	gint64 internaldate;
	gboolean was_seen; /* \Seen before we fetched it (after_filing = keep restores it) */
	const char *decision; /* "acknowledged", "withheld: ..." */
	const struct mail *mail; /* NULL when it could not be parsed */
};

/* Files one incoming message (and its attachments' metadata); returns its row id. */
gboolean store_insert_message(struct store *st, const struct message_row *m, char **id,
			      GError **error);
/* The quarantined message of a quarantined lead. */
struct quarantined {
	char *message_row; /* messages.id */
	char *raw_path;	   /* NULL when no bytes were kept */
	char *fingerprint; /* "partial:..." when only the header section was kept */
	char *mailbox;
	gint64 uidvalidity;
	gint64 uid;
	gint64 internaldate;
	gint64 raw_size;
};
void quarantined_clear(struct quarantined *q);
gboolean store_get_quarantined(struct store *st, const char *lead_id, struct quarantined *out,
			       GError **error);
/* Rewrites message row ID with what a successful parse found (M's kind, decision,
 * fingerprint, raw_path and mail; M's lead_id is kept). */
gboolean store_refile_message(struct store *st, const char *id, const struct message_row *m,
			      GError **error);
/* Turns a quarantined lead into a normal one with FIELDS and what N says. */
gboolean store_requalify_lead(struct store *st, const char *lead_id, const struct lead_fields *f,
			      const struct new_lead *n, GError **error);
gboolean store_set_quarantine_reason(struct store *st, const char *lead_id, const char *reason,
				     GError **error);

/* Our mail to the lead's applicant bounced permanently (DETAIL: what the report says). */
gboolean store_mark_undeliverable(struct store *st, const char *lead_id, const char *detail,
				  GError **error);
/* Mail came from ADDRESS: its leads are no longer undeliverable. */
gboolean store_clear_undeliverable(struct store *st, const char *address, GError **error);
/* Records on the outbox rows with these Message-IDs that they bounced after sending. */
gboolean store_outbox_note_bounce(struct store *st, GPtrArray *message_ids, const char *detail,
				  GError **error);

/* Fills the lead's empty fields from a later message's FIELDS; a field a coordinator
 * corrected, or one already known, is left as it is. */
gboolean store_fill_fields(struct store *st, const char *lead_id, const struct lead_fields *f,
			   GError **error);

/* Other leads from the same organisation (same normalised name, or the same mail domain
 * when it is not a webmail provider's), newest first (struct lead *). */
GPtrArray *store_related_leads(struct store *st, const struct lead *lead, GError **error);
/* Their references only (char *), for lists. */
GPtrArray *store_related_refs(struct store *st, const struct lead *lead, GError **error);

/* Marks that the partner wrote again: the lead shows unread mail. */
gboolean store_mark_lead_unread(struct store *st, const char *lead_id, GError **error);

/* Queues an outgoing mail for LEAD_ID (kind "ack", "notification", ...). */
gboolean store_queue_outgoing(struct store *st, const char *lead_id, const char *kind,
			      const struct outgoing *o, GError **error);

/* Appends to the audit history. */
gboolean store_add_event(struct store *st, const char *lead_id, const char *actor,
			 const char *action, const char *detail, GError **error);

/* ---- outbox ---- */

struct outbox_row {
	gint64 id;
	char *lead_id;
	char *lead_ref;
	char *kind;
	char *message_id;
	char *recipient;
	char *envelope_from;
	char *subject;
	GBytes *bytes; /* only from store_outbox_due */
	char *status; /* queued | sending | sent | failed */
	gint64 attempts;
	gint64 next_attempt;
	char *claimed_by;
	char *last_error;
	char *server_reply;
	gint64 created_at;
	gint64 sent_at;
	gint64 due_since; /* [smtp] give_up_after counts from here (reset by a retry) */
};
void outbox_row_free(gpointer row);

/* Rows to send now: queued and due, and sending rows a crashed sender left behind. */
GPtrArray *store_outbox_due(struct store *st, gint64 now, GError **error);
/* queued|sending -> sending, by CLAIMER; *claimed is FALSE when someone else took it. */
gboolean store_outbox_claim(struct store *st, gint64 id, const char *claimer, gboolean *claimed,
			    GError **error);
gboolean store_outbox_sent(struct store *st, gint64 id, const char *server_reply,
			   GError **error);
gboolean store_outbox_defer(struct store *st, gint64 id, gint64 next_attempt, const char *why,
			    GError **error);
gboolean store_outbox_fail(struct store *st, gint64 id, const char *why, GError **error);
/* Makes a queued or failed row due now, its give-up age counted afresh. Fails with
 * OV_ERROR_INPUT for a row already sent or being sent. */
gboolean store_outbox_retry(struct store *st, gint64 id, const char *actor, GError **error);
/* Every row, newest first (without bytes). */
GPtrArray *store_outbox_list(struct store *st, const char *lead_id, GError **error);

/* ---- the review queue ---- */

struct lead {
	char *id;
	char *ref;
	char *status;
	gboolean unread;
	gboolean undeliverable;
	char *applicant_email;
	char *contact_name;
	char *organisation;
	char *org_type;
	char *phone;
	char *website;
	char *postcode;
	char *area;
	char *functions;
	gboolean is_partnership_enquiry;
	gboolean out_of_area;
	char *provenance; /* JSON object */
	char *assigned_to;
	char *subject;
	char *quarantine_reason;
	char *ack_decision; /* of the first message */
	char *corrected;    /* fields a coordinator set, comma-separated */
	char *org_key;
	char *domain;
	gint64 created_at;
	gint64 updated_at;
	gint64 last_mail_at;
	gint64 read_at;
	gint64 message_count;
};
void lead_free(gpointer lead);

struct lead_filter {
	const char *status;
	gint64 since; /* created at or after (Unix time); 0: any time */
	const char *org_type;
	const char *function;
	const char *assigned; /* a name, or "none" */
	gboolean unread;
	gboolean partnership_only;
	const char *search; /* words, each must appear (accents and case ignored) */
	gint64 after_seqno; /* only leads filed after this one (store_last_seqno); 0: all */
	gint64 limit;	    /* 0: all */
};

/* Leads matching FILTER, newest first. */
GPtrArray *store_list_leads(struct store *st, const struct lead_filter *filter, GError **error);
/* The lead with reference REF (any case) or id; NULL with OV_ERROR_NOT_FOUND. */
struct lead *store_get_lead(struct store *st, const char *ref, GError **error);

struct stored_message {
	char *id;
	char *kind;
	char *message_id;
	char *from_name;
	char *from_addr;
	char *subject;
	gint64 date;
	gint64 filed_at;
	char *text;
	char *quoted;
	char *decision;
	char *raw_path;
	GPtrArray *attachments; /* struct stored_attachment * */
};
struct stored_attachment {
	int position; /* within its message, from 1 */
	char *filename;
	char *content_type;
	gint64 size;
	char *sha256;
	char *spool_path; /* the content kept apart, or NULL */
	char *note;
	char *text; /* an attached message's text */
};
void stored_message_free(gpointer m);

GPtrArray *store_lead_messages(struct store *st, const char *lead_id, GError **error);

struct event {
	char *actor;
	char *action;
	char *detail;
	gint64 at;
};
void event_free(gpointer e);
GPtrArray *store_lead_events(struct store *st, const char *lead_id, GError **error);

/* ---- coordinators' changes: each is recorded in the history with its ACTOR ---- */

/* Sets the status (checked by the caller against lead.h). */
gboolean store_set_status(struct store *st, const char *lead_id, const char *status,
			  const char *actor, GError **error);
/* Sets FIELD (organisation, type, contact, email, phone, website, postcode, area,
 * functions) to VALUE ("" clears it) and marks it corrected: later mail never
 * overwrites it. OV_ERROR_INPUT for another field name. */
gboolean store_set_field(struct store *st, const char *lead_id, const char *field,
			 const char *value, const char *actor, GError **error);
/* NAME NULL unassigns. */
gboolean store_assign(struct store *st, const char *lead_id, const char *name,
		      const char *actor, GError **error);
gboolean store_add_note(struct store *st, const char *lead_id, const char *author,
			const char *text, GError **error);

struct note {
	char *author;
	char *text;
	gint64 at;
};
void note_free(gpointer n);
GPtrArray *store_lead_notes(struct store *st, const char *lead_id, GError **error);

/* Where each field came from, as "field<TAB>source" strings in field order. */
GPtrArray *store_lead_sources(struct store *st, const char *lead_id, GError **error);

/* The fields a coordinator may set, in the order `overture set --help` lists them. */
extern const char *const store_settable_fields[];

/* The filing order number of the newest lead (0 when there is none). */
gboolean store_last_seqno(struct store *st, gint64 *seqno, GError **error);

/* A value in the store's key/value state (NULL when unset; g_free). */
char *store_get_state(struct store *st, const char *key, GError **error);
gboolean store_set_state(struct store *st, const char *key, const char *value, GError **error);

/* Marks the lead as read by a coordinator. */
gboolean store_mark_lead_read(struct store *st, const char *lead_id, GError **error);

#endif
