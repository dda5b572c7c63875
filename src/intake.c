/* Runs each new message through the stages. The order is what keeps the invariants:
 * the raw bytes are durable in the spool before the database commit that names them,
 * the lead and its acknowledgement are filed in one transaction together with the
 * mailbox's progress, and only after that commit is the message marked on the server. */
#include "intake.h"

#include "classify.h"
#include "error.h"
#include "extract.h"
#include "fingerprint.h"
#include "header.h"
#include "ids.h"
#include "imap.h"
#include "log.h"
#include "mime.h"
#include "notify.h"
#include "spool.h"
#include "testhook.h"

#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#define HEADER_LIMIT (1024 * 1024)
#define PARSE_SECONDS 60 /* a parse that takes longer is a GMime bug: quarantine */
#define MAX_FETCH_ATTEMPTS 3

struct intake {
	struct store *st;
	const struct config *cfg;
	const struct templates *tmpl;
	struct imap *im;
	char *mailbox; /* key of this mailbox in the store */
	gint64 uidvalidity;
	struct intake_report *report;
};

/* What happens to one parsed message. */
struct plan {
	const char *kind;    /* enquiry | follow_up | robot | bounce | quarantined */
	char *lead_id;	     /* existing lead it belongs to, or NULL */
	char *lead_ref;	     /* its reference, for the log */
	char *decision;	     /* acknowledged | withheld: ... */
	gboolean new_lead;
	gboolean acknowledge;
	const char *status;  /* of a new lead */
	char *quarantine_reason;
	char *bounced;	     /* a permanent delivery failure of our mail: what the report says */
	char *delayed;	     /* a delay warning about our mail */
	GPtrArray *our_ids;  /* our Message-IDs a bounce returns */
	const char *clears;  /* a person wrote from this address: it works */
};

static void plan_clear(struct plan *p)
{
	g_free(p->bounced);
	g_free(p->delayed);
	if (p->our_ids)
		g_ptr_array_unref(p->our_ids);
	g_free(p->lead_id);
	g_free(p->lead_ref);
	g_free(p->decision);
	g_free(p->quarantine_reason);
}

static gint64 now_seconds(void)
{
	return g_get_real_time() / G_USEC_PER_SEC;
}

/* ---- marking on the server, after the commit ---- */

/* Marks UID as after_filing says, and records that it is marked. Failures are logged
 * and left for the next pass, which marks every filed message not marked yet. */
static void mark_on_server(struct intake *in, gint64 uid, gboolean was_seen)
{
	g_autoptr(GError) error = NULL;
	gboolean ok = TRUE;
	switch (in->cfg->imap.after_filing) {
	case AFTER_FILING_KEEP:
		/* Fetching set \Seen as a side effect; leave the mailbox as people left it. */
		if (!was_seen)
			ok = imap_set_seen(in->im, uid, FALSE, &error);
		break;
	case AFTER_FILING_SEEN:
		ok = imap_set_seen(in->im, uid, TRUE, &error);
		break;
	case AFTER_FILING_MOVE:
		ok = imap_move(in->im, uid, in->cfg->imap.move_folder, &error);
		break;
	}
	if (ok)
		ok = store_set_marked(in->st, in->mailbox, in->uidvalidity, uid, &error);
	if (!ok)
		log_warn("UID %" G_GINT64_FORMAT " is filed but not yet marked on the server (%s); "
			 "trying again on the next pass",
			 uid, error->message);
	testhook_step("marked");
}

/* Marks what an earlier pass filed but could not mark (or crashed before marking). */
static gboolean mark_leftovers(struct intake *in, GError **error)
{
	g_autoptr(GArray) left = store_unmarked(in->st, in->mailbox, in->uidvalidity, error);
	if (!left)
		return FALSE;
	for (guint i = 0; i < left->len; i++) {
		const struct unmarked *u = &g_array_index(left, struct unmarked, i);
		mark_on_server(in, u->uid, u->was_seen);
	}
	return TRUE;
}

/* ---- deciding ---- */

/* The lead a reply belongs to: by In-Reply-To/References, else by [REF] in the subject. */
static char *find_thread(struct intake *in, const struct mail *mail, GError **error)
{
	g_autoptr(GPtrArray) ids = g_ptr_array_new();
	for (guint i = 0; i < mail->in_reply_to->len; i++)
		g_ptr_array_add(ids, mail->in_reply_to->pdata[i]);
	for (guint i = 0; i < mail->references->len; i++)
		g_ptr_array_add(ids, mail->references->pdata[i]);
	GError *local = NULL;
	char *lead = store_lead_for_message_ids(in->st, ids, &local);
	if (lead || local) {
		if (local)
			g_propagate_error(error, local);
		return lead;
	}
	g_autofree char *pattern = g_strdup_printf("\\[(%s-[0-9]{4}-[0-9]{4,})\\]",
						   in->cfg->hub.reference_prefix);
	g_autoptr(GRegex) re = g_regex_new(pattern, G_REGEX_CASELESS, 0, NULL);
	g_autoptr(GMatchInfo) match = NULL;
	if (re && g_regex_match(re, mail->subject, 0, &match)) {
		g_autofree char *ref = g_match_info_fetch(match, 1);
		return store_lead_id_for_ref(in->st, ref, error);
	}
	return NULL;
}

void intake_accept_form(struct verdict *v, const struct lead_fields *fields)
{
	if (v->robot && v->sender_only && fields->web_form && fields->applicant_in_body) {
		v->robot = FALSE;
		g_clear_pointer(&v->reason, g_free);
	}
}

char *intake_ack_policy(const struct config *cfg, const struct mail *mail,
			const struct lead_fields *fields)
{
	const char *address = fields->applicant_email;
	char **trusted = cfg->ack.trusted_forms;
	if (!fields->is_partnership_enquiry)
		return g_strdup("not a partnership enquiry (an offer, an advert or a newsletter)");
	if (!address || !header_address_ok(address))
		return g_strdup("no usable address to reply to");
	if (!g_ascii_strcasecmp(address, cfg->hub.address) ||
	    (cfg->smtp.from_address && !g_ascii_strcasecmp(address, cfg->smtp.from_address)))
		return g_strdup_printf("%s is our own address", address);
	if (classify_is_role_address(address))
		return g_strdup_printf("%s is a role address, not a person's", address);
	if (fields->applicant_in_body &&
	    !(mail->from_addr && trusted &&
	      g_strv_contains((const char *const *)trusted, mail->from_addr)))
		return g_strdup_printf("the applicant's address (%s) was read from the message, not "
				       "its headers: a coordinator decides (or list the sender in "
				       "[ack] trusted_forms)",
				       address);
	return NULL;
}

/* Why an enquiry from a person gets no acknowledgement, or NULL when it gets one. */
static char *ack_withheld_because(struct intake *in, const struct mail *mail,
				  const struct lead_fields *fields, gint64 internaldate,
				  GError **error)
{
	const struct config_ack *ack = &in->cfg->ack;
	const char *address = fields->applicant_email;
	gint64 now = now_seconds();
	char *why = intake_ack_policy(in->cfg, mail, fields);
	if (why)
		return why;
	if (internaldate && now - internaldate > ack->max_age)
		return g_strdup_printf("arrived %" G_GINT64_FORMAT " days ago, longer than "
				       "[ack] max_age",
				       (now - internaldate) / 86400);
	gint64 recent = 0, open = 0;
	if (!store_count_recent_acks(in->st, address, now - ack->min_interval, &recent, error) ||
	    !store_count_open_leads(in->st, address, &open, error))
		return NULL;
	if (recent > 0 && ack->min_interval > 0)
		return g_strdup_printf("%s was already acknowledged within [ack] min_interval",
				       address);
	if (open >= ack->max_open_leads)
		return g_strdup_printf("%s already has %" G_GINT64_FORMAT " open leads", address,
				       open);
	return NULL;
}

/* Our Message-IDs that a robot's mail returns: in attached or quoted headers of a bounce,
 * or quoted in its text. */
static GPtrArray *returned_ids(struct intake *in, const struct mail *mail)
{
	GPtrArray *ids = classify_own_ids_in_text(mail->text, in->cfg->hub.domain);
	for (guint i = 0; i < mail->enclosed_ids->len; i++)
		g_ptr_array_add(ids, g_strdup(mail->enclosed_ids->pdata[i]));
	return ids;
}

/* What a delivery report about our mail means for the lead. */
static void read_bounce(const struct mail *mail, struct plan *p)
{
	struct dsn d;
	if (!classify_parse_dsn(mail->delivery_status, &d))
		return;
	g_autofree char *what = g_strdup_printf("%s %s for %s%s%s", d.action ? d.action : "?",
						d.status ? d.status : "?",
						d.final_recipient ? d.final_recipient : "?",
						d.diagnostic ? ": " : "",
						d.diagnostic ? d.diagnostic : "");
	if ((d.status && d.status[0] == '5') || g_strcmp0(d.action, "failed") == 0)
		p->bounced = g_steal_pointer(&what);
	else if (g_strcmp0(d.action, "delayed") == 0)
		p->delayed = g_steal_pointer(&what);
	dsn_clear(&d);
}

static gboolean plan_robot(struct intake *in, const struct mail *mail, const struct verdict *v,
			   struct plan *p, GError **error)
{
	p->kind = v->bounce ? "bounce" : "robot";
	p->decision = g_strdup_printf("withheld: %s", v->reason);
	p->our_ids = returned_ids(in, mail);
	if (!p->lead_id && p->our_ids->len) {
		GError *local = NULL;
		p->lead_id = store_lead_for_message_ids(in->st, p->our_ids, &local);
		if (local) {
			g_propagate_error(error, local);
			return FALSE;
		}
	}
	if (v->bounce)
		read_bounce(mail, p);
	return TRUE;
}

static gboolean plan_for(struct intake *in, const struct mail *mail, const struct verdict *v,
			 const struct lead_fields *fields, gint64 internaldate, struct plan *p,
			 GError **error)
{
	GError *local = NULL;
	p->lead_id = find_thread(in, mail, &local);
	if (local) {
		g_propagate_error(error, local);
		return FALSE;
	}
	if (v->robot)
		return plan_robot(in, mail, v, p, error);
	p->clears = mail_reply_address(mail);
	if (p->lead_id) {
		p->kind = "follow_up";
		p->decision = g_strdup("withheld: follow-up of an existing lead");
		return TRUE;
	}
	p->kind = "enquiry";
	p->new_lead = TRUE;
	p->status = "new";
	char *why = ack_withheld_because(in, mail, fields, internaldate, &local);
	if (local) {
		g_propagate_error(error, local);
		return FALSE;
	}
	p->acknowledge = why == NULL;
	p->decision = why ? g_strdup_printf("withheld: %s", why) : g_strdup("acknowledged");
	g_free(why);
	return TRUE;
}

/* ---- filing ---- */

struct filing {
	const struct imap_meta *meta;
	const char *fingerprint;
	const char *raw_path;
	gint64 raw_size;
	const struct mail *mail; /* NULL when unparsable */
	const struct lead_fields *fields;
};

/* A Message-ID already filed, on a message with other content (a different fingerprint):
 * filed all the same, with a note, since a broken client may reuse ids. */
static gboolean note_reused_message_id(struct intake *in, const struct mail *mail,
				       const char *lead_id, GError **error)
{
	gboolean known = FALSE;
	if (!mail || !mail->message_id)
		return TRUE;
	if (!store_message_id_known(in->st, mail->message_id, &known, error))
		return FALSE;
	if (!known)
		return TRUE;
	g_autofree char *detail = g_strdup_printf("Message-ID <%s> was already used by another "
						  "message with different content",
						  mail->message_id);
	log_warn("%s", detail);
	return !lead_id || store_add_event(in->st, lead_id, "overture", "reused Message-ID", detail,
					   error);
}

/* Bounces of our mail mark the lead's address undeliverable; a person's new mail from
 * an address shows it works again. */
static gboolean record_delivery_news(struct intake *in, const struct plan *p, const char *lead_id,
				     GError **error)
{
	if (p->bounced && lead_id) {
		log_warn("our mail to the applicant of %s bounced: %s", p->lead_ref ? p->lead_ref : lead_id,
			 p->bounced);
		if (!store_mark_undeliverable(in->st, lead_id, p->bounced, error) ||
		    !store_outbox_note_bounce(in->st, p->our_ids, p->bounced, error))
			return FALSE;
	}
	if (p->delayed && lead_id &&
	    !store_add_event(in->st, lead_id, "overture", "delivery delayed", p->delayed, error))
		return FALSE;
	return !p->clears || store_clear_undeliverable(in->st, p->clears, error);
}

static gboolean file_in_transaction(struct intake *in, const struct filing *f, struct plan *p,
				    GError **error)
{
	g_autofree char *new_id = NULL;
	struct new_lead n = {.status = p->status,
			     .subject = f->mail ? f->mail->subject : "",
			     .quarantine_reason = p->quarantine_reason,
			     .ack_decision = p->decision};
	if (p->new_lead && !store_insert_lead(in->st, in->cfg->hub.reference_prefix, f->fields, &n,
					      &new_id, &p->lead_ref, error))
		return FALSE;
	const char *lead_id = new_id ? new_id : p->lead_id;
	struct message_row row = {
		.lead_id = lead_id, .kind = p->kind, .fingerprint = f->fingerprint,
		.raw_path = f->raw_path, .raw_size = f->raw_size, .mailbox = in->mailbox,
		.uidvalidity = in->uidvalidity, .uid = f->meta->uid,
		.internaldate = f->meta->internaldate, .was_seen = f->meta->seen,
		.decision = p->decision, .mail = f->mail,
	};
	if (!note_reused_message_id(in, f->mail, lead_id, error))
		return FALSE;
	if (!store_insert_message(in->st, &row, NULL, error))
		return FALSE;
	if (p->acknowledge) {
		g_autoptr(OvOutgoing) ack =
			compose_ack(in->cfg, in->tmpl, p->lead_ref, f->fields, f->mail, error);
		if (!ack || !store_queue_outgoing(in->st, lead_id, "ack", ack, error))
			return FALSE;
		in->report->acks++;
	}
	if (p->new_lead && !notify_new_lead(in->st, in->cfg, in->tmpl, lead_id, p->lead_ref,
					    f->fields, f->mail, error))
		return FALSE;
	if (lead_id) {
		const char *action = p->new_lead ? "filed" : "mail added";
		g_autofree char *detail = g_strdup_printf("%s from %s (UID %" G_GINT64_FORMAT "): %s",
							  p->kind, f->mail && f->mail->from_addr ? f->mail->from_addr : "?",
							  f->meta->uid, p->decision);
		if (!store_add_event(in->st, lead_id, "overture", action, detail, error))
			return FALSE;
		if (!p->new_lead && !strcmp(p->kind, "follow_up") &&
		    (!store_mark_lead_unread(in->st, lead_id, error) ||
		     !store_fill_fields(in->st, lead_id, f->fields, error)))
			return FALSE;
	}
	if (!record_delivery_news(in, p, lead_id, error))
		return FALSE;
	if (lead_id && !store_index_lead(in->st, lead_id, error))
		return FALSE;
	return store_advance_mailbox(in->st, in->mailbox, in->uidvalidity, f->meta->uid, error);
}

static gboolean file_message(struct intake *in, const struct filing *f, struct plan *p,
			     GError **error)
{
	if (!store_begin(in->st, error))
		return FALSE;
	if (!file_in_transaction(in, f, p, error)) {
		store_rollback(in->st);
		return FALSE;
	}
	if (!store_commit(in->st, error))
		return FALSE;
	testhook_step("committed");
	return TRUE;
}

static void count(struct intake *in, const struct plan *p)
{
	if (!strcmp(p->kind, "enquiry"))
		in->report->filed++;
	else if (!strcmp(p->kind, "follow_up"))
		in->report->follow_ups++;
	else if (!strcmp(p->kind, "quarantined"))
		in->report->quarantined++;
	else
		in->report->robots++;
}

/* Makes TMP durable in the spool; returns its spool name. */
static char *keep_raw(struct intake *in, const char *tmp, GError **error)
{
	g_autofree char *name = ids_new_uuid();
	g_autofree char *file = g_strconcat(name, ".eml", NULL);
	char *rel = spool_keep(in->cfg->store.spool, tmp, file, error);
	if (rel)
		testhook_step("spooled");
	return rel;
}

/* The parsed message in PATH, or NULL with the reason: parsed first in a child process,
 * so a message that crashes or hangs GMime is quarantined instead of stopping us. */
static struct mail *parse_guarded(struct intake *in, const char *path, GError **error)
{
	if (!mail_parse_survives(path, PARSE_SECONDS, error))
		return NULL;
	g_autofree char *tmp_dir = g_build_filename(in->cfg->store.spool, "tmp", NULL);
	struct mail_parse_options keep = {.keep_dir = tmp_dir,
					  .keep_max = in->cfg->store.max_attachment_size};
	return mail_parse_file(path, &keep, error);
}

/* Makes the attachments parsing kept durable in the spool, before the commit. */
static gboolean keep_attachments(struct intake *in, struct mail *mail, GError **error)
{
	for (guint i = 0; i < mail->attachments->len; i++) {
		struct mail_attachment *a = mail->attachments->pdata[i];
		if (!a->kept_tmp)
			continue;
		a->stored = spool_keep_attachment(in->cfg->store.spool, a->kept_tmp, a->sha256, error);
		if (!a->stored)
			return FALSE;
		g_clear_pointer(&a->kept_tmp, g_free);
	}
	return TRUE;
}

/* Files a message that cannot be taken in whole as a quarantined lead: no ack, the
 * bytes we have kept, and the reason, for a coordinator to look at and reprocess. */
static gboolean file_quarantined(struct intake *in, const struct imap_meta *meta,
				 const char *tmp, const char *fingerprint, const struct mail *mail,
				 const char *reason, GError **error)
{
	g_autofree char *rel = NULL;
	if (tmp && !(rel = keep_raw(in, tmp, error)))
		return FALSE;
	struct lead_fields fields;
	if (mail) {
		extract_fields(mail, in->cfg, in->tmpl->rules, &fields);
	} else {
		memset(&fields, 0, sizeof fields);
		fields.provenance = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	}
	/* Whatever part of it was read, a coordinator must see it in the queue. */
	fields.is_partnership_enquiry = TRUE;
	struct plan p = {.kind = "quarantined", .new_lead = TRUE, .status = "quarantined"};
	p.quarantine_reason = g_strdup(reason);
	p.decision = g_strdup_printf("withheld: quarantined (%s)", reason);
	struct filing f = {.meta = meta, .fingerprint = fingerprint, .raw_path = rel,
			   .raw_size = meta->size, .mail = mail, .fields = &fields};
	gboolean ok = file_message(in, &f, &p, error);
	if (ok) {
		log_warn("UID %" G_GINT64_FORMAT " quarantined as %s: %s", meta->uid, p.lead_ref,
			 reason);
		count(in, &p);
	}
	plan_clear(&p);
	lead_fields_clear(&fields);
	return ok;
}

/* The same message was filed before: record progress and mark, file nothing. */
static gboolean skip_duplicate(struct intake *in, const struct imap_meta *meta,
			       const char *ref, GError **error)
{
	if (!store_begin(in->st, error))
		return FALSE;
	if (!store_advance_mailbox(in->st, in->mailbox, in->uidvalidity, meta->uid, error)) {
		store_rollback(in->st);
		return FALSE;
	}
	if (!store_commit(in->st, error))
		return FALSE;
	log_info("UID %" G_GINT64_FORMAT " was filed before%s%s (same fingerprint): not filed "
		 "again",
		 meta->uid, *ref ? " as " : "", ref);
	in->report->duplicates++;
	mark_on_server(in, meta->uid, meta->seen);
	return TRUE;
}

/* A message over max_message_size: keep its header section so coordinators see who
 * sent it, and quarantine it. */
static gboolean quarantine_oversize(struct intake *in, const struct imap_meta *meta,
				    GError **error)
{
	g_autofree char *reason = g_strdup_printf(
		"%" G_GINT64_FORMAT " bytes, over [imap] max_message_size (%" G_GINT64_FORMAT ")",
		meta->size, in->cfg->imap.max_message_size);
	g_autofree char *tmp = NULL;
	int fd = spool_create_temp(in->cfg->store.spool, &tmp, error);
	if (fd < 0)
		return FALSE;
	g_autoptr(GError) fetch_error = NULL;
	gboolean have_header =
		imap_fetch(in->im, in->uidvalidity, meta->uid, TRUE, fd, HEADER_LIMIT, &fetch_error);
	close(fd);
	if (!have_header) {
		g_unlink(tmp);
		if (!g_error_matches(fetch_error, OV_ERROR, OV_ERROR_TOO_BIG) &&
		    !g_error_matches(fetch_error, OV_ERROR, OV_ERROR_NOT_FOUND)) {
			g_propagate_error(error, g_steal_pointer(&fetch_error));
			return FALSE;
		}
		return file_quarantined(in, meta, NULL, NULL, NULL, reason, error);
	}
	g_autofree char *header_print = fingerprint_file(tmp, error);
	if (!header_print)
		return FALSE;
	g_autofree char *print = g_strdup_printf("partial:%" G_GINT64_FORMAT ":%s", meta->size,
						 header_print);
	g_autofree char *known = NULL;
	if (!store_find_fingerprint(in->st, print, &known, error))
		return FALSE;
	if (known) {
		g_unlink(tmp);
		return skip_duplicate(in, meta, known, error);
	}
	g_autoptr(OvMail) headers = parse_guarded(in, tmp, NULL);
	return file_quarantined(in, meta, tmp, print, headers, reason, error);
}

static void log_filed(const struct imap_meta *meta, const struct mail *mail,
		      const struct plan *p)
{
	log_info("UID %" G_GINT64_FORMAT " filed%s%s: %s from %s, \"%s\": %s", meta->uid,
		 p->lead_ref ? " on " : "", p->lead_ref ? p->lead_ref : "", p->kind,
		 mail->from_addr ? mail->from_addr : "(no address)", mail->subject, p->decision);
}

/* A parsed message and what to do with it. */
struct analysis {
	struct mail *mail;
	struct verdict verdict;
	struct lead_fields fields;
	struct plan plan;
};

static void analysis_clear(struct analysis *a)
{
	g_clear_pointer(&a->mail, mail_free);
	verdict_clear(&a->verdict);
	lead_fields_clear(&a->fields);
	plan_clear(&a->plan);
}

/* Parse, classify, extract and decide for the message in PATH. FALSE with an
 * OV_ERROR_PARSE error when the message cannot be parsed. */
static gboolean analyse(struct intake *in, const char *path, gint64 internaldate,
			struct analysis *a, GError **error)
{
	memset(a, 0, sizeof *a);
	a->mail = parse_guarded(in, path, error);
	if (!a->mail)
		return FALSE;
	classify_mail(a->mail, in->cfg, &a->verdict);
	extract_fields(a->mail, in->cfg, in->tmpl->rules, &a->fields);
	intake_accept_form(&a->verdict, &a->fields);
	return plan_for(in, a->mail, &a->verdict, &a->fields, internaldate, &a->plan, error);
}

/* Parses, classifies and files the fetched message in TMP. */
static gboolean file_fetched(struct intake *in, const struct imap_meta *meta, const char *tmp,
			     GError **error)
{
	g_autofree char *print = fingerprint_file(tmp, error);
	g_autofree char *known = NULL;
	if (!print || !store_find_fingerprint(in->st, print, &known, error))
		return FALSE;
	if (known) {
		g_unlink(tmp);
		return skip_duplicate(in, meta, known, error);
	}
	struct analysis a;
	GError *local = NULL;
	if (!analyse(in, tmp, meta->internaldate, &a, &local)) {
		analysis_clear(&a);
		if (!g_error_matches(local, OV_ERROR, OV_ERROR_PARSE)) {
			g_propagate_error(error, local);
			return FALSE;
		}
		gboolean ok = file_quarantined(in, meta, tmp, print, NULL, local->message, error);
		g_error_free(local);
		return ok;
	}
	g_autofree char *rel = keep_raw(in, tmp, error);
	struct filing f = {.meta = meta, .fingerprint = print, .raw_path = rel,
			   .raw_size = meta->size, .mail = a.mail, .fields = &a.fields};
	gboolean ok = rel && keep_attachments(in, a.mail, error) && file_message(in, &f, &a.plan, error);
	if (ok) {
		log_filed(meta, a.mail, &a.plan);
		count(in, &a.plan);
		mark_on_server(in, meta->uid, meta->seen);
	}
	analysis_clear(&a);
	return ok;
}

/* The server answered NO or BAD to fetching UID. The pass goes on with the next message
 * and tries this one again in the next passes; after MAX_FETCH_ATTEMPTS it is quarantined
 * (no bytes: its UID and size are recorded). Takes FETCH_ERROR. */
static gboolean fetch_refused(struct intake *in, const struct imap_meta *meta, GError *fetch_error,
			      GError **error)
{
	gint64 attempts = 0;
	gboolean ok = store_note_fetch_failure(in->st, in->mailbox, in->uidvalidity, meta->uid,
					       fetch_error->message, &attempts, error);
	if (ok && attempts >= MAX_FETCH_ATTEMPTS) {
		g_autofree char *reason = g_strdup_printf(
			"the server refused to give the message %" G_GINT64_FORMAT " times (%s)",
			attempts, fetch_error->message);
		ok = file_quarantined(in, meta, NULL, NULL, NULL, reason, error);
	} else if (ok) {
		log_warn("UID %" G_GINT64_FORMAT " could not be fetched (attempt %" G_GINT64_FORMAT
			 " of %d; tried again on the next pass): %s",
			 meta->uid, attempts, MAX_FETCH_ATTEMPTS, fetch_error->message);
	}
	g_error_free(fetch_error);
	return ok;
}

static gboolean take_in(struct intake *in, const struct imap_meta *meta, GError **error)
{
	if (meta->size > in->cfg->imap.max_message_size)
		return quarantine_oversize(in, meta, error);
	g_autofree char *tmp = NULL;
	int fd = spool_create_temp(in->cfg->store.spool, &tmp, error);
	if (fd < 0)
		return FALSE;
	GError *fetch_error = NULL;
	gboolean fetched = imap_fetch(in->im, in->uidvalidity, meta->uid, FALSE, fd,
				      in->cfg->imap.max_message_size, &fetch_error);
	close(fd);
	if (!fetched) {
		g_unlink(tmp);
		if (g_error_matches(fetch_error, OV_ERROR, OV_ERROR_NOT_FOUND)) {
			log_info("UID %" G_GINT64_FORMAT " was removed before it could be fetched",
				 meta->uid);
			g_error_free(fetch_error);
			return TRUE;
		}
		if (g_error_matches(fetch_error, OV_ERROR, OV_ERROR_TOO_BIG)) {
			g_error_free(fetch_error);
			return quarantine_oversize(in, meta, error);
		}
		if (g_error_matches(fetch_error, OV_ERROR, OV_ERROR_IMAP_PROTOCOL))
			return fetch_refused(in, meta, fetch_error, error);
		g_propagate_error(error, fetch_error);
		return FALSE;
	}
	testhook_step("fetched");
	return file_fetched(in, meta, tmp, error);
}

/* ---- the pass over the mailbox ---- */

/* Where to start: the stored progress, or on a first run or after a UIDVALIDITY change
 * a fresh start recorded in the store. */
static gboolean starting_point(struct intake *in, const struct imap_mailbox *box, gint64 *first,
			       GError **error)
{
	struct mailbox_state state;
	if (!store_get_mailbox(in->st, in->mailbox, &state, error))
		return FALSE;
	if (state.known && state.uidvalidity == box->uidvalidity) {
		*first = state.last_uid + 1;
		return TRUE;
	}
	gint64 start = 0;
	if (state.known) {
		log_warn("UIDVALIDITY of %s changed from %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT
			 ": the server renumbered its messages. Reading the whole mailbox again; "
			 "messages already filed are recognised and not filed twice",
			 in->cfg->imap.url, state.uidvalidity, box->uidvalidity);
	} else {
		start = box->uidnext > 0 ? box->uidnext - 1 : 0;
		if (in->cfg->imap.backfill_days > 0) {
			gint64 since = now_seconds() - in->cfg->imap.backfill_days * 86400;
			g_autoptr(GArray) recent = imap_search_since(in->im, box, since, error);
			if (!recent)
				return FALSE;
			if (recent->len)
				start = g_array_index(recent, gint64, 0) - 1;
		}
		log_notice("first run on %s: filing the mail of the last %" G_GINT64_FORMAT
			   " days (from UID %" G_GINT64_FORMAT ")",
			   in->cfg->imap.url, in->cfg->imap.backfill_days, start + 1);
	}
	if (!store_reset_mailbox(in->st, in->mailbox, box->uidvalidity, start, error))
		return FALSE;
	*first = start + 1;
	return TRUE;
}

static int compare_uid(gconstpointer a, gconstpointer b)
{
	gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;
	return (x > y) - (x < y);
}

/* Adds the UIDs of MORE not already in sorted UIDS, keeping it sorted. */
static void merge_uids(GArray *uids, GArray *more)
{
	for (guint i = 0; i < more->len; i++) {
		gint64 uid = g_array_index(more, gint64, i);
		gboolean present = FALSE;
		for (guint j = 0; j < uids->len && !present; j++)
			present = g_array_index(uids, gint64, j) == uid;
		if (!present)
			g_array_append_val(uids, uid);
	}
	g_array_sort(uids, compare_uid);
}

static int compare_meta_uid(gconstpointer a, gconstpointer b)
{
	gint64 x = ((const struct imap_meta *)a)->uid, y = ((const struct imap_meta *)b)->uid;
	return (x > y) - (x < y);
}

static gboolean run_pass(struct intake *in, const volatile sig_atomic_t *stop, GError **error)
{
	struct imap_mailbox box;
	gint64 first;
	if (!imap_select(in->im, &box, error))
		return FALSE;
	in->uidvalidity = box.uidvalidity;
	if (!starting_point(in, &box, &first, error) || !mark_leftovers(in, error))
		return FALSE;
	g_autoptr(GArray) uids = imap_search_from(in->im, &box, first, error);
	g_autoptr(GArray) retry = uids ? store_pending_fetches(in->st, in->mailbox, in->uidvalidity, error) : NULL;
	if (!retry)
		return FALSE;
	merge_uids(uids, retry);
	if (!uids->len)
		return TRUE;
	log_debug("%u new messages in %s", uids->len, imap_mailbox_name(in->im));
	g_autoptr(GArray) metas = imap_fetch_meta(in->im, uids, error);
	if (!metas)
		return FALSE;
	g_array_sort(metas, compare_meta_uid);
	for (guint i = 0; i < metas->len; i++) {
		if (stop && *stop)
			break;
		if (!take_in(in, &g_array_index(metas, struct imap_meta, i), error))
			return FALSE;
	}
	return TRUE;
}

gboolean intake_run(struct store *st, const struct config *cfg, const struct templates *tmpl,
		    const volatile sig_atomic_t *stop, struct intake_report *report,
		    GError **error)
{
	*report = (struct intake_report){0};
	if (!store_lock(st, "intake", error))
		return FALSE;
	struct intake in = {.st = st, .cfg = cfg, .tmpl = tmpl, .report = report};
	gboolean ok = spool_prepare(cfg->store.spool, error);
	if (ok) {
		spool_clean_temp(cfg->store.spool);
		in.mailbox = g_strdup_printf("%s %s", cfg->imap.url, cfg->imap.user);
		in.im = imap_new(&cfg->imap, error);
		ok = in.im && run_pass(&in, stop, error);
	}
	imap_free(in.im);
	g_free(in.mailbox);
	store_unlock(st, "intake");
	return ok;
}

/* ---- reprocessing a quarantined lead ---- */

static gboolean is_complete_copy(const struct quarantined *q)
{
	return q->raw_path && q->fingerprint && !g_str_has_prefix(q->fingerprint, "partial:");
}

/* Fetches the quarantined message again by UID into the spool; returns its spool name. */
static char *fetch_again(struct intake *in, const struct quarantined *q, GError **error)
{
	struct imap_mailbox box;
	in->im = imap_new(&in->cfg->imap, error);
	if (!in->im || !imap_select(in->im, &box, error))
		return NULL;
	if (box.uidvalidity != q->uidvalidity || g_strcmp0(in->mailbox, q->mailbox)) {
		g_set_error(error, OV_ERROR, OV_ERROR_NOT_FOUND,
			    "the message was never kept whole, and the mailbox has been renumbered "
			    "or changed since, so UID %" G_GINT64_FORMAT " cannot be fetched again",
			    q->uid);
		return NULL;
	}
	g_autofree char *tmp = NULL;
	int fd = spool_create_temp(in->cfg->store.spool, &tmp, error);
	if (fd < 0)
		return NULL;
	gboolean ok = imap_fetch(in->im, q->uidvalidity, q->uid, FALSE, fd,
				 in->cfg->imap.max_message_size, error);
	close(fd);
	if (!ok) {
		g_unlink(tmp);
		g_prefix_error(error, "cannot fetch UID %" G_GINT64_FORMAT " again: ", q->uid);
		return NULL;
	}
	return keep_raw(in, tmp, error);
}

static gboolean refile(struct intake *in, const struct lead *lead, const struct quarantined *q,
		       const char *rel, const char *print, struct analysis *a, GError **error)
{
	struct plan *p = &a->plan;
	if (p->new_lead) {
		p->kind = "enquiry";
	} else if (!strcmp(p->kind, "follow_up")) {
		g_free(p->decision);
		p->decision = g_strdup("withheld: follow-up of an existing lead");
	}
	struct message_row row = {.kind = p->kind, .fingerprint = print, .raw_path = rel,
				  .raw_size = q->raw_size, .decision = p->decision, .mail = a->mail};
	g_autofree char *detail = g_strdup_printf("%s from %s: %s", p->kind,
						  a->mail->from_addr ? a->mail->from_addr : "?",
						  p->decision);
	if (!store_begin(in->st, error))
		return FALSE;
	struct new_lead n = {.status = "new", .subject = a->mail->subject,
			     .ack_decision = p->decision};
	gboolean ok = store_requalify_lead(in->st, lead->id, &a->fields, &n, error) &&
		      store_refile_message(in->st, q->message_row, &row, error) &&
		      store_add_event(in->st, lead->id, "overture", "reprocessed", detail, error) &&
		      store_index_lead(in->st, lead->id, error);
	if (ok && p->acknowledge) {
		g_autoptr(OvOutgoing) ack =
			compose_ack(in->cfg, in->tmpl, lead->ref, &a->fields, a->mail, error);
		ok = ack && store_queue_outgoing(in->st, lead->id, "ack", ack, error);
	}
	if (!ok) {
		store_rollback(in->st);
		return FALSE;
	}
	return store_commit(in->st, error);
}

static gboolean reprocess_lead(struct intake *in, const struct lead *lead, char **decision,
			       GError **error)
{
	struct quarantined q;
	if (!store_get_quarantined(in->st, lead->id, &q, error))
		return FALSE;
	in->mailbox = g_strdup(q.mailbox);
	in->uidvalidity = q.uidvalidity;
	g_autofree char *rel = is_complete_copy(&q) ? g_strdup(q.raw_path) : fetch_again(in, &q, error);
	g_autofree char *path = rel ? spool_path(in->cfg->store.spool, rel) : NULL;
	g_autofree char *print = path ? fingerprint_file(path, error) : NULL;
	g_autofree char *known = NULL;
	gboolean ok = print && store_find_fingerprint(in->st, print, &known, error);
	if (ok && known && g_strcmp0(print, q.fingerprint)) {
		g_set_error(error, OV_ERROR, OV_ERROR_INPUT,
			    "this message has been filed since%s%s: nothing to reprocess",
			    *known ? " as " : "", known);
		ok = FALSE;
	}
	struct analysis a = {0};
	GError *local = NULL;
	if (ok && !analyse(in, path, q.internaldate, &a, &local)) {
		if (g_error_matches(local, OV_ERROR, OV_ERROR_PARSE))
			store_set_quarantine_reason(in->st, lead->id, local->message, NULL);
		g_propagate_prefixed_error(error, local, "%s is still quarantined: ", lead->ref);
		ok = FALSE;
	}
	ok = ok && keep_attachments(in, a.mail, error) && refile(in, lead, &q, rel, print, &a, error);
	if (ok)
		*decision = g_strdup(a.plan.decision);
	analysis_clear(&a);
	quarantined_clear(&q);
	return ok;
}

gboolean intake_reprocess(struct store *st, const struct config *cfg,
			  const struct templates *tmpl, const char *ref, char **decision,
			  GError **error)
{
	struct intake_report report = {0};
	struct intake in = {.st = st, .cfg = cfg, .tmpl = tmpl, .report = &report};
	struct lead *lead = store_get_lead(st, ref, error);
	if (!lead)
		return FALSE;
	gboolean ok = FALSE;
	if (strcmp(lead->status, "quarantined"))
		g_set_error(error, OV_ERROR, OV_ERROR_INPUT,
			    "%s is not quarantined (its status is %s): only quarantined leads are "
			    "reprocessed",
			    lead->ref, lead->status);
	else
		ok = store_lock(st, "intake", error) && spool_prepare(cfg->store.spool, error) &&
		     reprocess_lead(&in, lead, decision, error);
	store_unlock(st, "intake");
	imap_free(in.im);
	g_free(in.mailbox);
	lead_free(lead);
	return ok;
}
