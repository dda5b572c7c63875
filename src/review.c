/* The coordinators' commands: the review queue (leads), one lead (show), attachments,
 * and the outbox. Output is a table on a terminal, tab-separated lines in a pipe, or
 * JSON with --json. */
#include "cli.h"

#include "config.h"
#include "error.h"
#include "header.h"
#include "json.h"
#include "lead.h"
#include "mime.h"
#include "store.h"
#include "table.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

/* ---- leads ---- */

static const char *flags_of(const struct lead *l)
{
	if (l->unread && l->undeliverable)
		return "U!";
	return l->unread ? "U" : l->undeliverable ? "!" : "";
}

static void lead_json_fields(struct json *j, const struct lead *l)
{
	json_member_string(j, "ref", l->ref);
	json_member_string(j, "id", l->id);
	json_member_string(j, "status", l->status);
	json_member_bool(j, "unread", l->unread);
	json_member_bool(j, "undeliverable", l->undeliverable);
	json_member_string(j, "applicant_email", l->applicant_email);
	json_member_string(j, "contact_name", l->contact_name);
	json_member_string(j, "organisation", l->organisation);
	json_member_string(j, "org_type", l->org_type);
	json_member_string(j, "phone", l->phone);
	json_member_string(j, "website", l->website);
	json_member_string(j, "postcode", l->postcode);
	json_member_string(j, "area", l->area);
	json_key(j, "functions");
	json_list(j, l->functions);
	json_member_bool(j, "is_partnership_enquiry", l->is_partnership_enquiry);
	json_member_bool(j, "out_of_area", l->out_of_area);
	json_key(j, "provenance");
	json_raw(j, l->provenance);
	json_member_string(j, "assigned_to", l->assigned_to);
	json_member_string(j, "subject", l->subject);
	json_member_string(j, "ack_decision", l->ack_decision);
	json_member_string(j, "quarantine_reason", l->quarantine_reason);
	json_member_int(j, "message_count", l->message_count);
	json_key(j, "corrected");
	json_list(j, l->corrected);
	json_member_time(j, "last_mail_at", l->last_mail_at);
	json_member_time(j, "read_at", l->read_at);
	json_member_time(j, "created_at", l->created_at);
	json_member_time(j, "updated_at", l->updated_at);
}

static char *local_time(gint64 t)
{
	g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local(t);
	return dt ? g_date_time_format(dt, "%Y-%m-%d %H:%M") : g_strdup("-");
}

static char *local_date(gint64 t)
{
	g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local(t);
	return dt ? g_date_time_format(dt, "%Y-%m-%d") : g_strdup("-");
}

static const char *who(const struct lead *l)
{
	if (l->contact_name && *l->contact_name)
		return l->contact_name;
	return l->applicant_email ? l->applicant_email : "";
}

static void print_leads_table(GPtrArray *leads)
{
	g_autoptr(OvTable) t = table_new((const char *[]){"REF", "STATUS", "FL", "RECEIVED", "FROM",
							"ORGANISATION", "SUBJECT", NULL});
	for (guint c = 0; c < 4; c++)
		table_keep_width(t, c);
	for (guint i = 0; i < leads->len; i++) {
		const struct lead *l = leads->pdata[i];
		g_autofree char *when = local_date(l->created_at);
		const char *cells[] = {l->ref, l->status,	 flags_of(l), when,
				       who(l), l->organisation, l->subject};
		table_add_row(t, cells);
	}
	table_print(t, stdout);
}

static void print_leads_tsv(GPtrArray *leads)
{
	for (guint i = 0; i < leads->len; i++) {
		const struct lead *l = leads->pdata[i];
		g_autofree char *when = json_format_time(l->created_at);
		const char *cells[] = {l->ref,	       l->status,	  flags_of(l),
				       when,	       l->applicant_email, l->contact_name,
				       l->organisation, l->subject};
		table_print_tsv_row(stdout, cells, G_N_ELEMENTS(cells));
	}
}

/* "related": the references of other leads from the same organisation. */
static gboolean json_related_refs(struct json *j, struct store *st, const struct lead *l,
				  GError **error)
{
	g_autoptr(GPtrArray) related = store_related_refs(st, l, error);
	if (!related)
		return FALSE;
	json_key(j, "related");
	json_begin_array(j);
	for (guint i = 0; i < related->len; i++)
		json_string(j, related->pdata[i]);
	json_end_array(j);
	return TRUE;
}

static gboolean print_leads_json(struct store *st, GPtrArray *leads, GError **error)
{
	struct json j;
	json_init(&j);
	json_begin_array(&j);
	for (guint i = 0; i < leads->len; i++) {
		json_begin_object(&j);
		lead_json_fields(&j, leads->pdata[i]);
		if (!json_related_refs(&j, st, leads->pdata[i], error)) {
			g_free(json_finish(&j));
			return FALSE;
		}
		json_end_object(&j);
	}
	json_end_array(&j);
	cli_print_json(&j);
	return TRUE;
}

/* Prints the leads FILTER selects in the form stdout and --json ask for. */
static int list_leads(const struct lead_filter *filter)
{
	int status = EX_OK;
	g_autoptr(OvConfig) cfg = cli_config(CONFIG_STORE_ONLY, &status);
	g_autoptr(OvStore) st = cfg ? cli_store(cfg, &status) : NULL;
	if (!st)
		return status;
	g_autoptr(GError) error = NULL;
	/* One lead more than shown says whether there are more, without counting them all. */
	struct lead_filter one_more = *filter;
	if (one_more.limit)
		one_more.limit++;
	g_autoptr(GPtrArray) leads = store_list_leads(st, &one_more, &error);
	if (!leads)
		return cli_fail(error);
	gboolean more = filter->limit && (gint64)leads->len > filter->limit;
	if (more)
		g_ptr_array_set_size(leads, filter->limit);
	if (cli_opt_json) {
		if (!print_leads_json(st, leads, &error))
			return cli_fail(error);
	} else if (isatty(STDOUT_FILENO)) {
		print_leads_table(leads);
	}
	else {
		print_leads_tsv(leads);
	}
	if (!leads->len && isatty(STDOUT_FILENO) && !cli_opt_json)
		g_print("No leads match. (New leads appear when `overture run` files new mail.)\n");
	if (more)
		g_printerr("overture: showing the newest %u leads; more match: --limit N or --all "
			   "shows them\n",
			   leads->len);
	return EX_OK;
}

/* ---- filters shared by leads and export ---- */

struct filter_options {
	char *status, *since, *type, *function, *assigned, *search;
	gboolean unread, everything;
};

static void filter_options_clear(struct filter_options *o)
{
	g_free(o->status);
	g_free(o->since);
	g_free(o->type);
	g_free(o->function);
	g_free(o->assigned);
	g_free(o->search);
}

static void add_filter_entries(GOptionContext *ctx, struct filter_options *o)
{
	GOptionEntry entries[] = {
		{"status", 's', 0, G_OPTION_ARG_STRING, &o->status,
		 "Only this status: new, reviewing, contacted, partner, declined, spam or "
		 "quarantined",
		 "S"},
		{"since", 0, 0, G_OPTION_ARG_STRING, &o->since,
		 "Only leads filed since a date (2026-09-01) or for a while (7d, 12h)", "WHEN"},
		{"type", 't', 0, G_OPTION_ARG_STRING, &o->type,
		 "Only this organisation type (school, academy_trust, early_years, ...)", "TYPE"},
		{"function", 'f', 0, G_OPTION_ARG_STRING, &o->function,
		 "Only leads offering this function: partnerships, schools, progression, "
		 "inclusion or sustainability",
		 "F"},
		{"assigned", 'a', 0, G_OPTION_ARG_STRING, &o->assigned,
		 "Only leads assigned to NAME (none: unassigned)", "NAME"},
		{"unread", 'u', 0, G_OPTION_ARG_NONE, &o->unread,
		 "Only leads whose partner wrote since a coordinator last opened them", NULL},
		{"everything", 'e', 0, G_OPTION_ARG_NONE, &o->everything,
		 "Also mail that is not a partnership enquiry (offers, adverts, newsletters)", NULL},
		{"search", 'q', 0, G_OPTION_ARG_STRING, &o->search,
		 "Only leads with all these words (in the mail, subject, organisation or contact; "
		 "accents and case do not matter)",
		 "TEXT"},
		G_OPTION_ENTRY_NULL};
	g_option_context_add_main_entries(ctx, entries, NULL);
}

/* "2026-09-01" (local midnight) or a duration back from now ("7d"). */
static gboolean parse_since(const char *text, gint64 *out)
{
	gint64 seconds;
	if (config_parse_duration(text, &seconds) && g_ascii_isalpha(text[strlen(text) - 1])) {
		*out = g_get_real_time() / G_USEC_PER_SEC - seconds;
		return TRUE;
	}
	int y, m, d;
	char tail;
	if (sscanf(text, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3)
		return FALSE;
	g_autoptr(GDateTime) dt = g_date_time_new_local(y, m, d, 0, 0, 0);
	if (!dt)
		return FALSE;
	*out = g_date_time_to_unix(dt);
	return TRUE;
}

/* Checks the options and fills FILTER (pointing into O); prints why not. */
static gboolean filter_from_options(const struct filter_options *o, struct lead_filter *f)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *all = NULL;
	if (o->status && !lead_is_status(o->status)) {
		all = lead_words(lead_statuses);
		g_printerr("overture: '%s' is not a status; the statuses are: %s\n", o->status, all);
		return FALSE;
	}
	if (o->type && !lead_is_org_type(o->type)) {
		all = lead_words(lead_org_types);
		g_printerr("overture: '%s' is not an organisation type; the types are: %s\n",
			   o->type, all);
		return FALSE;
	}
	g_autofree char *function = o->function ? lead_functions_canonical(o->function, &error) : NULL;
	if (o->function && (!function || strchr(function, ','))) {
		g_printerr("overture: %s\n", error ? error->message : "give one function at a time");
		return FALSE;
	}
	if (o->since && !parse_since(o->since, &f->since)) {
		g_printerr("overture: --since '%s' is neither a date (2026-09-01) nor a duration "
			   "(7d)\n",
			   o->since);
		return FALSE;
	}
	f->status = o->status;
	f->org_type = o->type;
	f->function = o->function; /* checked above; the store compares the canonical word */
	f->assigned = o->assigned;
	f->unread = o->unread;
	f->search = o->search;
	f->partnership_only = !o->everything;
	if (f->function) {
		for (char *c = o->function; *c; c++)
			*c = g_ascii_tolower(*c);
	}
	return TRUE;
}

/* ---- leads ---- */

#define DEFAULT_LIMIT 100

int cmd_leads(int argc, char **argv)
{
	struct lead_filter filter = {0};
	struct filter_options o = {0};
	gint limit = DEFAULT_LIMIT;
	gboolean all = FALSE;
	GOptionEntry entries[] = {
		{"limit", 'n', 0, G_OPTION_ARG_INT, &limit, "Show at most N leads (default 100)",
		 "N"},
		{"all", 0, 0, G_OPTION_ARG_NONE, &all, "Show every matching lead", NULL},
		G_OPTION_ENTRY_NULL};
	g_autoptr(GOptionContext) ctx = cli_context(
		"", "The review queue, newest first: the newest 100 leads that match the filters. "
		    "FL flags: U = the partner wrote since a coordinator last opened the lead, ! "
		    "= our mail to them bounced.",
		"Examples:\n  overture leads\n  overture leads --status new --unread\n"
		"  overture leads --function inclusion --type school\n"
		"  overture leads --search \"youth orchestra\" --since 30d\n"
		"  overture leads --json --all | jq -r '.[].ref'\n\n"
		"On a terminal the table fits the window; piped, each lead is one line of\n"
		"tab-separated fields (ref, status, flags, received, applicant_email,\n"
		"contact_name, organisation, subject) with tab, newline and backslash escaped.\n"
		"When more leads match than are shown, standard error says how many.");
	add_filter_entries(ctx, &o);
	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_add_main_entries(ctx, cli_json_entries, NULL);
	int status = EX_OK;
	gboolean parsed = cli_parse(ctx, &argc, &argv, &status);
	if (parsed && argc > 1)
		status = cli_usage_error("leads takes no arguments; filters are options");
	else if (parsed && !filter_from_options(&o, &filter))
		status = EX_USAGE;
	if (!parsed || status != EX_OK) {
		filter_options_clear(&o);
		return status;
	}
	filter.limit = all ? 0 : MAX(limit, 1);
	status = list_leads(&filter);
	filter_options_clear(&o);
	return status;
}

/* ---- show ---- */

struct thread_item {
	gint64 at;
	const struct stored_message *in;
	const struct outbox_row *out;
};

static int compare_items(gconstpointer a, gconstpointer b)
{
	const struct thread_item *x = a, *y = b;
	return (x->at > y->at) - (x->at < y->at);
}

static GArray *thread_of(GPtrArray *messages, GPtrArray *outbox)
{
	GArray *items = g_array_new(FALSE, FALSE, sizeof(struct thread_item));
	for (guint i = 0; i < messages->len; i++) {
		const struct stored_message *m = messages->pdata[i];
		struct thread_item it = {.at = m->filed_at, .in = m};
		g_array_append_val(items, it);
	}
	for (guint i = outbox->len; i-- > 0;) { /* the list is newest first */
		const struct outbox_row *o = outbox->pdata[i];
		struct thread_item it = {.at = o->created_at, .out = o};
		g_array_append_val(items, it);
	}
	g_array_sort(items, compare_items); /* stable for equal times: in before out */
	return items;
}

static void field(const char *label, const char *value)
{
	if (value && *value)
		g_print("%-16s %s\n", label, value);
}

static void print_indented(const char *text)
{
	g_auto(GStrv) lines = g_strsplit(text ? text : "", "\n", -1);
	for (char **l = lines; *l; l++)
		g_print("    %s\n", *l);
}

static guint count_lines(const char *text)
{
	guint n = 0;
	for (const char *p = text; p && *p; p++)
		n += *p == '\n';
	return n + (text && *text);
}

/* One incoming message; *NUMBER counts attachments across the lead (for `attachment`). */
static void print_message(const struct stored_message *m, guint n, guint *number, gboolean full)
{
	g_autofree char *when = local_time(m->filed_at);
	g_print("\n[%u] %s  in   %s from %s%s%s <%s>\n", n, when, m->kind,
		m->from_name ? "\"" : "", m->from_name ? m->from_name : "",
		m->from_name ? "\"" : "", m->from_addr ? m->from_addr : "?");
	g_print("    Subject: %s\n    Decision: %s\n", m->subject ? m->subject : "", m->decision);
	for (guint i = 0; i < m->attachments->len; i++) {
		const struct stored_attachment *a = m->attachments->pdata[i];
		g_print("    Attachment %u: %s (%s, %" G_GINT64_FORMAT " bytes)%s%s\n", ++*number,
			a->filename, a->content_type, a->size, a->note ? "; " : "",
			a->note ? a->note : "");
	}
	g_print("\n");
	print_indented(m->text);
	if (m->quoted && full) {
		g_print("\n");
		print_indented(m->quoted);
	} else if (m->quoted) {
		g_print("\n    [%u lines of quoted history: overture show --full shows them]\n",
			count_lines(m->quoted));
	}
	for (guint i = 0; full && i < m->attachments->len; i++) {
		const struct stored_attachment *a = m->attachments->pdata[i];
		if (!a->text)
			continue;
		g_print("\n    --- attached message %s ---\n", a->filename);
		print_indented(a->text);
	}
}

static void print_outgoing(const struct outbox_row *o, guint n)
{
	g_autofree char *when = local_time(o->created_at);
	g_print("\n[%u] %s  out  %s to %s\n    Subject: %s\n    Message-ID: <%s>\n", n, when,
		o->kind, o->recipient, o->subject, o->message_id);
	if (!strcmp(o->status, "sent")) {
		g_autofree char *sent = local_time(o->sent_at);
		g_print("    Status: sent %s (%s)\n", sent, o->server_reply ? o->server_reply : "");
	} else {
		g_print("    Status: %s after %" G_GINT64_FORMAT " attempts%s%s\n", o->status,
			o->attempts, o->last_error ? ": " : "", o->last_error ? o->last_error : "");
	}
}

static void print_notes(GPtrArray *notes)
{
	if (!notes->len)
		return;
	g_print("\nNotes:\n");
	for (guint i = 0; i < notes->len; i++) {
		const struct note *n = notes->pdata[i];
		g_autofree char *when = local_time(n->at);
		g_print("  %s  %s:\n", when, n->author);
		print_indented(n->text);
	}
}

/* What a lead's show prints and --json holds, beside the lead itself. */
struct lead_detail {
	GPtrArray *messages; /* struct stored_message * */
	GPtrArray *outbox;   /* struct outbox_row * */
	GPtrArray *events;   /* struct event * */
	GPtrArray *notes;    /* struct note * */
	GPtrArray *related;  /* struct lead *: the same organisation's other leads */
	GPtrArray *sources;  /* "field<TAB>where it came from" */
};

static void lead_detail_clear(struct lead_detail *d)
{
	g_clear_pointer(&d->messages, g_ptr_array_unref);
	g_clear_pointer(&d->outbox, g_ptr_array_unref);
	g_clear_pointer(&d->events, g_ptr_array_unref);
	g_clear_pointer(&d->notes, g_ptr_array_unref);
	g_clear_pointer(&d->related, g_ptr_array_unref);
	g_clear_pointer(&d->sources, g_ptr_array_unref);
}

static gboolean lead_detail_load(struct store *st, const struct lead *l, struct lead_detail *d,
				 GError **error)
{
	memset(d, 0, sizeof *d);
	return (d->messages = store_lead_messages(st, l->id, error)) &&
	       (d->outbox = store_outbox_list(st, l->id, error)) &&
	       (d->events = store_lead_events(st, l->id, error)) &&
	       (d->notes = store_lead_notes(st, l->id, error)) &&
	       (d->related = store_related_leads(st, l, error)) &&
	       (d->sources = store_lead_sources(st, l->id, error));
}

/* "Also from this organisation": a coordinator sees at once who wrote before. */
static void print_related(GPtrArray *related)
{
	if (!related->len)
		return;
	g_print("\nAlso from this organisation (%u):\n", related->len);
	for (guint i = 0; i < related->len; i++) {
		const struct lead *r = related->pdata[i];
		g_autofree char *date = local_date(r->created_at);
		g_print("  %s  %s  %-10s  %s%s%s\n", r->ref, date, r->status,
			r->organisation ? r->organisation : "", r->organisation ? "  " : "",
			who(r));
	}
}

/* Why a field holds what it does: where extraction found it, or who corrected it. */
static void print_sources(GPtrArray *sources)
{
	if (!sources->len)
		return;
	g_print("\nWhere the fields came from:\n");
	for (guint i = 0; i < sources->len; i++) {
		g_auto(GStrv) pair = g_strsplit(sources->pdata[i], "\t", 2);
		g_print("  %-18s %s\n", pair[0], pair[1] ? pair[1] : "");
	}
}

static void print_lead(const struct lead *l, const struct lead_detail *d, gboolean full)
{
	guint attachment_number = 0;
	g_autofree char *created = local_time(l->created_at);
	g_print("%s  %s%s%s\n\n", l->ref, l->status, l->unread ? "  (unread mail from the partner)" : "",
		l->undeliverable ? "  (our mail to them bounced: phone instead)" : "");
	field("Received", created);
	field("Applicant", l->applicant_email);
	field("Contact", l->contact_name);
	field("Organisation", l->organisation);
	field("Type", l->org_type);
	field("Phone", l->phone);
	field("Website", l->website);
	field("Postcode", l->postcode);
	field("Area", l->area);
	field("Functions", l->functions);
	if (!l->is_partnership_enquiry)
		field("Not a lead", "filed as not a partnership enquiry (an offer, an advert or a "
				    "newsletter); `overture set REF partnership yes` queues it");
	if (l->out_of_area)
		field("Out of area", "the postcode is outside the hub's [hub] postcode_areas");
	field("Assigned to", l->assigned_to);
	field("Subject", l->subject);
	field("Quarantined", l->quarantine_reason);
	field("Acknowledgement", l->ack_decision);

	print_related(d->related);
	g_autoptr(GArray) items = thread_of(d->messages, d->outbox);
	g_print("\nThread (%u):\n", items->len);
	for (guint i = 0; i < items->len; i++) {
		const struct thread_item *it = &g_array_index(items, struct thread_item, i);
		if (it->in)
			print_message(it->in, i + 1, &attachment_number, full);
		else
			print_outgoing(it->out, i + 1);
	}
	print_notes(d->notes);
	print_sources(d->sources);
	g_print("\nHistory:\n");
	for (guint i = 0; i < d->events->len; i++) {
		const struct event *e = d->events->pdata[i];
		g_autofree char *when = local_time(e->at);
		g_print("  %s  %s: %s%s%s\n", when, e->actor, e->action, e->detail ? ": " : "",
			e->detail ? e->detail : "");
	}
}

static void json_message(struct json *j, const struct stored_message *m, guint *number)
{
	json_begin_object(j);
	json_member_string(j, "direction", "in");
	json_member_string(j, "kind", m->kind);
	json_member_string(j, "message_id", m->message_id);
	json_member_string(j, "from_name", m->from_name);
	json_member_string(j, "from", m->from_addr);
	json_member_string(j, "subject", m->subject);
	json_member_time(j, "date", m->date);
	json_member_time(j, "filed_at", m->filed_at);
	json_member_string(j, "decision", m->decision);
	json_member_string(j, "text", m->text);
	json_member_string(j, "quoted", m->quoted);
	json_key(j, "attachments");
	json_begin_array(j);
	for (guint i = 0; i < m->attachments->len; i++) {
		const struct stored_attachment *a = m->attachments->pdata[i];
		json_begin_object(j);
		json_member_int(j, "number", ++*number);
		json_member_string(j, "filename", a->filename);
		json_member_string(j, "content_type", a->content_type);
		json_member_int(j, "size", a->size);
		json_member_string(j, "sha256", a->sha256);
		json_member_bool(j, "stored", a->spool_path != NULL);
		json_member_string(j, "note", a->note);
		json_member_string(j, "text", a->text);
		json_end_object(j);
	}
	json_end_array(j);
	json_end_object(j);
}

static void json_outgoing(struct json *j, const struct outbox_row *o)
{
	json_begin_object(j);
	json_member_string(j, "direction", "out");
	json_member_int(j, "outbox_id", o->id);
	json_member_string(j, "kind", o->kind);
	json_member_string(j, "message_id", o->message_id);
	json_member_string(j, "to", o->recipient);
	json_member_string(j, "subject", o->subject);
	json_member_string(j, "status", o->status);
	json_member_int(j, "attempts", o->attempts);
	json_member_string(j, "last_error", o->last_error);
	json_member_string(j, "server_reply", o->server_reply);
	json_member_time(j, "created_at", o->created_at);
	json_member_time(j, "sent_at", o->sent_at);
	json_end_object(j);
}

static void json_related(struct json *j, GPtrArray *related)
{
	json_key(j, "related");
	json_begin_array(j);
	for (guint i = 0; i < related->len; i++) {
		const struct lead *r = related->pdata[i];
		json_begin_object(j);
		json_member_string(j, "ref", r->ref);
		json_member_string(j, "status", r->status);
		json_member_string(j, "organisation", r->organisation);
		json_member_string(j, "contact_name", r->contact_name);
		json_member_string(j, "applicant_email", r->applicant_email);
		json_member_time(j, "created_at", r->created_at);
		json_end_object(j);
	}
	json_end_array(j);
}

static void print_lead_json(const struct lead *l, const struct lead_detail *d)
{
	struct json j;
	json_init(&j);
	json_begin_object(&j);
	lead_json_fields(&j, l);
	json_related(&j, d->related);
	GPtrArray *notes = d->notes, *events = d->events;
	g_autoptr(GArray) items = thread_of(d->messages, d->outbox);
	guint attachment_number = 0;
	json_key(&j, "thread");
	json_begin_array(&j);
	for (guint i = 0; i < items->len; i++) {
		const struct thread_item *it = &g_array_index(items, struct thread_item, i);
		if (it->in)
			json_message(&j, it->in, &attachment_number);
		else
			json_outgoing(&j, it->out);
	}
	json_end_array(&j);
	json_key(&j, "notes");
	json_begin_array(&j);
	for (guint i = 0; i < notes->len; i++) {
		const struct note *n = notes->pdata[i];
		json_begin_object(&j);
		json_member_time(&j, "at", n->at);
		json_member_string(&j, "author", n->author);
		json_member_string(&j, "text", n->text);
		json_end_object(&j);
	}
	json_end_array(&j);
	json_key(&j, "history");
	json_begin_array(&j);
	for (guint i = 0; i < events->len; i++) {
		const struct event *e = events->pdata[i];
		json_begin_object(&j);
		json_member_time(&j, "at", e->at);
		json_member_string(&j, "actor", e->actor);
		json_member_string(&j, "action", e->action);
		json_member_string(&j, "detail", e->detail);
		json_end_object(&j);
	}
	json_end_array(&j);
	json_end_object(&j);
	cli_print_json(&j);
}

int cmd_show(int argc, char **argv)
{
	gboolean full = FALSE;
	GOptionEntry entries[] = {
		{"full", 0, 0, G_OPTION_ARG_NONE, &full,
		 "Also print quoted history and the text of attached messages", NULL},
		G_OPTION_ENTRY_NULL};
	g_autoptr(GOptionContext) ctx = cli_context(
		"REF", "One lead: its fields, the whole thread in and out with the acknowledgement "
		       "decisions, attachments and history. A reply's new text comes first; its "
		       "quoted history is summed up (--full prints it). Marks the partner's mail "
		       "as read.",
		"Examples:\n  overture show EOI-2026-0042\n  overture show EOI-2026-0042 --json\n"
		"  overture attachment EOI-2026-0042 1 > brochure.pdf");
	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_add_main_entries(ctx, cli_json_entries, NULL);
	int status = EX_OK;
	if (!cli_parse(ctx, &argc, &argv, &status))
		return status;
	if (argc != 2)
		return cli_usage_error("show needs one lead reference, e.g. EOI-2026-0042");
	g_autoptr(OvConfig) cfg = cli_config(CONFIG_STORE_ONLY, &status);
	g_autoptr(OvStore) st = cfg ? cli_store(cfg, &status) : NULL;
	if (!st)
		return status;
	g_autoptr(GError) error = NULL;
	struct lead *l = store_get_lead(st, argv[1], &error);
	if (!l)
		return cli_fail(error);
	struct lead_detail d;
	if (!lead_detail_load(st, l, &d, &error) || !store_mark_lead_read(st, l->id, &error)) {
		status = cli_fail(error);
	} else if (cli_opt_json) {
		print_lead_json(l, &d);
	} else {
		print_lead(l, &d, full);
	}
	lead_detail_clear(&d);
	lead_free(l);
	return status;
}

/* ---- attachment ---- */

/* Copies FROM to the open file OUT. */
static gboolean copy_file(const char *from, FILE *out, GError **error)
{
	FILE *in = fopen(from, "rbe");
	if (!in) {
		g_set_error(error, OV_ERROR, OV_ERROR_STORE, "cannot read %s: %s", from,
			    g_strerror(errno));
		return FALSE;
	}
	char buf[65536];
	size_t n;
	gboolean ok = TRUE;
	while ((n = fread(buf, 1, sizeof buf, in)) > 0 && ok)
		ok = fwrite(buf, 1, n, out) == n;
	ok = ok && !ferror(in) && fflush(out) == 0;
	fclose(in);
	if (!ok)
		g_set_error(error, OV_ERROR, OV_ERROR_STORE, "cannot write the attachment: %s",
			    g_strerror(errno));
	return ok;
}

/* The attachment's content from its raw message, parsed again, when it was not stored
 * apart (it was over max_attachment_size). */
static gboolean copy_from_raw(const struct config *cfg, const struct stored_message *m,
			      const struct stored_attachment *a, FILE *out, GError **error)
{
	if (!m->raw_path) {
		g_set_error(error, OV_ERROR, OV_ERROR_NOT_FOUND,
			    "the message holding this attachment was not kept");
		return FALSE;
	}
	g_autofree char *raw = g_build_filename(cfg->store.spool, m->raw_path, NULL);
	struct mail_parse_options keep = {.keep_dir = g_get_tmp_dir(), .keep_max = G_MAXINT64};
	g_autoptr(OvMail) mail = mail_parse_file(raw, &keep, error);
	if (!mail)
		return FALSE;
	const struct mail_attachment *found =
		(guint)a->position <= mail->attachments->len ? mail->attachments->pdata[a->position - 1]
							     : NULL;
	if (!found || !found->kept_tmp || g_strcmp0(found->sha256, a->sha256)) {
		g_set_error(error, OV_ERROR, OV_ERROR_STORE,
			    "the raw message no longer gives this attachment back (%s)", raw);
		return FALSE;
	}
	return copy_file(found->kept_tmp, out, error);
}

int cmd_attachment(int argc, char **argv)
{
	char *output = NULL;
	GOptionEntry entries[] = {
		{"output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
		 "Write to FILE (which must not exist yet) instead of standard output", "FILE"},
		G_OPTION_ENTRY_NULL};
	g_autoptr(GOptionContext) ctx = cli_context(
		"REF N", "Write attachment N of a lead (as numbered by `overture show`) to standard "
			 "output, or to a new file with -o.",
		"Examples:\n  overture attachment EOI-2026-0042 1 > brochure.pdf\n"
		"  overture attachment EOI-2026-0042 2 -o photo.jpg");
	g_option_context_add_main_entries(ctx, entries, NULL);
	int status = EX_OK;
	if (!cli_parse(ctx, &argc, &argv, &status))
		return status;
	g_autofree char *out_path = output;
	char *end = NULL;
	long n = argc == 3 ? strtol(argv[2], &end, 10) : 0;
	if (argc != 3 || *end || n < 1)
		return cli_usage_error("attachment needs a lead reference and a number, e.g. "
				       "EOI-2026-0042 1");
	if (!out_path && isatty(STDOUT_FILENO))
		return cli_usage_error("standard output is a terminal: redirect it (> file) or "
				       "give -o FILE");
	g_autoptr(OvConfig) cfg = cli_config(CONFIG_STORE_ONLY, &status);
	g_autoptr(OvStore) st = cfg ? cli_store(cfg, &status) : NULL;
	if (!st)
		return status;
	g_autoptr(GError) error = NULL;
	struct lead *l = store_get_lead(st, argv[1], &error);
	g_autoptr(GPtrArray) messages = l ? store_lead_messages(st, l->id, &error) : NULL;
	g_autofree char *ref = l ? g_strdup(l->ref) : NULL;
	lead_free(l);
	if (!messages)
		return cli_fail(error);
	const struct stored_message *holder = NULL;
	const struct stored_attachment *a = NULL;
	long seen = 0;
	for (guint i = 0; i < messages->len && !a; i++) {
		const struct stored_message *m = messages->pdata[i];
		if (seen + (long)m->attachments->len >= n) {
			holder = m;
			a = m->attachments->pdata[n - seen - 1];
		}
		seen += m->attachments->len;
	}
	if (!a) {
		g_printerr("overture: %s has %ld attachment%s (overture show %s lists them)\n", ref,
			   seen, seen == 1 ? "" : "s", ref);
		return EX_NOINPUT;
	}
	FILE *out = stdout;
	if (out_path) {
		int fd = open(out_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
		if (fd < 0) {
			g_printerr("overture: cannot create %s: %s\n", out_path, g_strerror(errno));
			return EX_CANTCREAT;
		}
		out = fdopen(fd, "wb");
	}
	g_autofree char *stored = a->spool_path ? g_build_filename(cfg->store.spool, a->spool_path, NULL) : NULL;
	gboolean ok = stored ? copy_file(stored, out, &error)
			     : copy_from_raw(cfg, holder, a, out, &error);
	if (out_path)
		fclose(out);
	if (!ok)
		return cli_fail(error);
	if (out_path)
		g_printerr("%s: %s (%s, %" G_GINT64_FORMAT " bytes)\n", out_path, a->filename,
			   a->content_type, a->size);
	return EX_OK;
}

/* ---- outbox ---- */

static void print_outbox_table(GPtrArray *rows)
{
	g_autoptr(OvTable) t = table_new((const char *[]){"ID", "STATUS", "LEAD", "KIND", "TO",
							"TRIES", "WHEN", "DETAIL", NULL});
	for (guint i = 0; i < rows->len; i++) {
		const struct outbox_row *r = rows->pdata[i];
		g_autofree char *id = g_strdup_printf("%" G_GINT64_FORMAT, r->id);
		g_autofree char *tries = g_strdup_printf("%" G_GINT64_FORMAT, r->attempts);
		gint64 when = !strcmp(r->status, "sent")     ? r->sent_at
			      : !strcmp(r->status, "queued") ? r->next_attempt
							     : r->created_at;
		g_autofree char *w = local_time(when);
		const char *detail = r->last_error ? r->last_error : r->server_reply;
		const char *cells[] = {id, r->status, r->lead_ref, r->kind, r->recipient, tries, w,
				       detail};
		table_add_row(t, cells);
	}
	table_print(t, stdout);
}

static void print_outbox_json(GPtrArray *rows)
{
	struct json j;
	json_init(&j);
	json_begin_array(&j);
	for (guint i = 0; i < rows->len; i++) {
		const struct outbox_row *r = rows->pdata[i];
		json_begin_object(&j);
		json_member_int(&j, "id", r->id);
		json_member_string(&j, "status", r->status);
		json_member_string(&j, "lead", r->lead_ref);
		json_member_string(&j, "kind", r->kind);
		json_member_string(&j, "message_id", r->message_id);
		json_member_string(&j, "to", r->recipient);
		json_member_string(&j, "subject", r->subject);
		json_member_int(&j, "attempts", r->attempts);
		json_member_time(&j, "next_attempt",
				 strcmp(r->status, "queued") ? 0 : r->next_attempt);
		json_member_string(&j, "last_error", r->last_error);
		json_member_string(&j, "server_reply", r->server_reply);
		json_member_time(&j, "created_at", r->created_at);
		json_member_time(&j, "sent_at", r->sent_at);
		json_end_object(&j);
	}
	json_end_array(&j);
	cli_print_json(&j);
}

static int outbox_retry(struct store *st, const char *id_text, const char *actor)
{
	char *end = NULL;
	gint64 id = g_ascii_strtoll(id_text, &end, 10);
	if (!*id_text || *end || id <= 0)
		return cli_usage_error("outbox retry needs the number of an outbox row");
	g_autoptr(GError) error = NULL;
	if (!store_outbox_retry(st, id, actor, &error))
		return cli_fail(error);
	g_print("outbox row %" G_GINT64_FORMAT " is due now; the running daemon (or `overture "
		"run --once`) sends it.\n",
		id);
	return EX_OK;
}

int cmd_outbox(int argc, char **argv)
{
	char *status_opt = NULL;
	char *actor_opt = NULL;
	GOptionEntry entries[] = {
		{"status", 's', 0, G_OPTION_ARG_STRING, &status_opt,
		 "Only rows with this status (queued, sending, sent, failed)", "S"},
		{"as", 0, 0, G_OPTION_ARG_STRING, &actor_opt,
		 "Record the retry in the history under this name (default: your user name)",
		 "NAME"},
		G_OPTION_ENTRY_NULL};
	g_autoptr(GOptionContext) ctx = cli_context(
		"[retry ID]", "Outgoing mail: queued, being sent, sent (with the server's reply) "
			      "and failed (with the server's words). `retry ID` makes a queued or "
			      "failed row due now.",
		"Examples:\n  overture outbox\n  overture outbox --status failed --json\n"
		"  overture outbox retry 17");
	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_add_main_entries(ctx, cli_json_entries, NULL);
	int status = EX_OK;
	if (!cli_parse(ctx, &argc, &argv, &status))
		return status;
	g_autofree char *status_value = status_opt;
	g_autofree char *actor = g_strdup(cli_actor(actor_opt));
	g_free(actor_opt);
	gboolean retry = argc == 3 && !strcmp(argv[1], "retry");
	if (argc > 1 && !retry)
		return cli_usage_error("outbox takes no arguments, or: retry ID");
	g_autoptr(OvConfig) cfg = cli_config(CONFIG_STORE_ONLY, &status);
	g_autoptr(OvStore) st = cfg ? cli_store(cfg, &status) : NULL;
	if (!st)
		return status;
	if (retry)
		return outbox_retry(st, argv[2], actor);
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) rows = store_outbox_list(st, NULL, &error);
	if (!rows)
		return cli_fail(error);
	for (guint i = rows->len; status_value && i-- > 0;)
		if (strcmp(((struct outbox_row *)rows->pdata[i])->status, status_value))
			g_ptr_array_remove_index(rows, i);
	if (cli_opt_json)
		print_outbox_json(rows);
	else
		print_outbox_table(rows);
	return EX_OK;
}


/* ---- set, assign, note ---- */

static char *opt_as;

static GOptionEntry as_entries[] = {
	{"as", 0, 0, G_OPTION_ARG_STRING, &opt_as,
	 "Record the change under this name (default: your user name)", "NAME"},
	G_OPTION_ENTRY_NULL};

/* The lead REF names, with the config and store; prints and returns the status on failure. */
static struct lead *open_lead(const char *ref, struct config **cfg, struct store **st, int *status)
{
	*cfg = cli_config(CONFIG_STORE_ONLY, status);
	*st = *cfg ? cli_store(*cfg, status) : NULL;
	if (!*st)
		return NULL;
	g_autoptr(GError) error = NULL;
	struct lead *l = store_get_lead(*st, ref, &error);
	if (!l)
		*status = cli_fail(error);
	return l;
}

/* VALUE as FIELD wants it, or NULL after saying why not. */
static char *checked_value(const char *field, const char *value)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *all = NULL;
	if (!strcmp(field, "type") && *value && !lead_is_org_type(value)) {
		all = lead_words(lead_org_types);
		g_printerr("overture: '%s' is not an organisation type; the types are: %s\n", value,
			   all);
		return NULL;
	}
	if (!strcmp(field, "functions")) {
		char *canonical = lead_functions_canonical(value, &error);
		if (!canonical)
			g_printerr("overture: %s\n", error->message);
		return canonical;
	}
	if (!strcmp(field, "partnership") || !strcmp(field, "out_of_area")) {
		static const char *const yes[] = {"yes", "true", "y", "1", NULL};
		static const char *const no[] = {"no", "false", "n", "0", NULL};
		g_autofree char *lower = g_ascii_strdown(value, -1);
		if (g_strv_contains(yes, lower))
			return g_strdup("yes");
		if (g_strv_contains(no, lower))
			return g_strdup("no");
		g_printerr("overture: %s is yes or no\n", field);
		return NULL;
	}
	if (!strcmp(field, "email") && *value && !header_address_ok(value)) {
		g_printerr("overture: '%s' is not an address we could write to\n", value);
		return NULL;
	}
	return header_clean(value, 500);
}

static int set_status(struct store *st, const struct lead *l, const char *value)
{
	g_autoptr(GError) error = NULL;
	if (!lead_is_settable_status(value)) {
		g_autofree char *all = lead_words(lead_statuses);
		if (!g_strcmp0(value, "quarantined"))
			g_printerr("overture: only intake quarantines a lead; `overture reprocess` "
				   "takes one out\n");
		else
			g_printerr("overture: '%s' is not a status; the statuses are: %s "
				   "(quarantined is set by intake only)\n",
				   value, all);
		return EX_USAGE;
	}
	if (!store_set_status(st, l->id, value, cli_actor(opt_as), &error))
		return cli_fail(error);
	g_print("%s: status %s -> %s\n", l->ref, l->status, value);
	return EX_OK;
}

int cmd_set(int argc, char **argv)
{
	g_autofree char *fields = g_strjoinv(", ", (char **)store_settable_fields);
	g_autofree char *summary = g_strdup_printf(
		"Set a lead's status (new, reviewing, contacted, partner, declined, spam), or "
		"correct one of its fields: %s. A corrected field is never overwritten by later "
		"mail. An empty VALUE clears a field.",
		fields);
	g_autoptr(GOptionContext) ctx = cli_context(
		"REF FIELD VALUE", summary,
		"Examples:\n  overture set EOI-2026-0042 status contacted\n"
		"  overture set EOI-2026-0042 organisation \"St Mary's C of E Primary\"\n"
		"  overture set EOI-2026-0042 type school\n"
		"  overture set EOI-2026-0042 functions inclusion,schools --as Alice\n"
		"  overture set EOI-2026-0042 partnership yes   (queue mail filed as an offer)");
	g_option_context_add_main_entries(ctx, as_entries, NULL);
	int status = EX_OK;
	if (!cli_parse(ctx, &argc, &argv, &status))
		return status;
	if (argc != 4)
		return cli_usage_error("set needs REF FIELD VALUE, e.g. EOI-2026-0042 status contacted");
	g_autoptr(OvConfig) cfg = NULL;
	g_autoptr(OvStore) st = NULL;
	struct lead *l = open_lead(argv[1], &cfg, &st, &status);
	if (!l)
		return status;
	const char *field = argv[2];
	if (!strcmp(field, "status")) {
		status = set_status(st, l, argv[3]);
		lead_free(l);
		return status;
	}
	g_autofree char *value = checked_value(field, argv[3]);
	g_autoptr(GError) error = NULL;
	if (!value)
		status = EX_USAGE;
	else if (!store_set_field(st, l->id, field, value, cli_actor(opt_as), &error)) {
		status = cli_fail(error);
		if (error->code == OV_ERROR_INPUT) /* an unknown field: a usage error */
			status = EX_USAGE;
	} else
		g_print("%s: %s set to '%s'\n", l->ref, field, value);
	lead_free(l);
	return status;
}

int cmd_assign(int argc, char **argv)
{
	g_autoptr(GOptionContext) ctx = cli_context(
		"REF NAME", "Assign a lead to a coordinator (NAME none unassigns it).",
		"Examples:\n  overture assign EOI-2026-0042 Alice\n  overture assign EOI-2026-0042 none\n"
		"  overture leads --assigned Alice");
	g_option_context_add_main_entries(ctx, as_entries, NULL);
	int status = EX_OK;
	if (!cli_parse(ctx, &argc, &argv, &status))
		return status;
	if (argc != 3 || !*argv[2])
		return cli_usage_error("assign needs REF NAME, e.g. EOI-2026-0042 Alice");
	g_autoptr(OvConfig) cfg = NULL;
	g_autoptr(OvStore) st = NULL;
	struct lead *l = open_lead(argv[1], &cfg, &st, &status);
	if (!l)
		return status;
	g_autofree char *name = g_ascii_strcasecmp(argv[2], "none") ? header_clean(argv[2], 100) : NULL;
	g_autoptr(GError) error = NULL;
	if (!store_assign(st, l->id, name, cli_actor(opt_as), &error))
		status = cli_fail(error);
	else
		g_print("%s: %s\n", l->ref, name ? name : "unassigned");
	lead_free(l);
	return status;
}

static char *read_stdin(void)
{
	GString *text = g_string_new(NULL);
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof buf, stdin)) > 0)
		g_string_append_len(text, buf, n);
	return g_string_free(text, FALSE);
}

int cmd_note(int argc, char **argv)
{
	g_autoptr(GOptionContext) ctx = cli_context(
		"REF [TEXT...]", "Add a coordinator's note to a lead: TEXT, or standard input when "
				 "there is none (or it is -).",
		"Examples:\n  overture note EOI-2026-0042 Phoned Priya, meeting on 3 December\n"
		"  overture note EOI-2026-0042 < call-notes.txt");
	g_option_context_add_main_entries(ctx, as_entries, NULL);
	int status = EX_OK;
	if (!cli_parse(ctx, &argc, &argv, &status))
		return status;
	if (argc < 2)
		return cli_usage_error("note needs a lead reference, then the text");
	gboolean from_stdin = argc == 2 || (argc == 3 && !strcmp(argv[2], "-"));
	if (from_stdin && isatty(STDIN_FILENO))
		return cli_usage_error("give the note's text, or pipe it to standard input");
	g_autofree char *raw = from_stdin ? read_stdin() : g_strjoinv(" ", argv + 2);
	g_autofree char *text = g_utf8_make_valid(raw, -1);
	g_strstrip(text);
	if (!*text)
		return cli_usage_error("the note is empty");
	g_autoptr(OvConfig) cfg = NULL;
	g_autoptr(OvStore) st = NULL;
	struct lead *l = open_lead(argv[1], &cfg, &st, &status);
	if (!l)
		return status;
	g_autoptr(GError) error = NULL;
	const char *author = cli_actor(opt_as);
	if (!store_add_note(st, l->id, author, text, &error))
		status = cli_fail(error);
	else
		g_print("%s: note added by %s\n", l->ref, author);
	lead_free(l);
	return status;
}

/* ---- export ---- */

static const char *const export_columns[] = {
	"ref",		"id",	       "status",       "unread",       "undeliverable",
	"created_at",	"updated_at",  "applicant_email", "contact_name", "organisation",
	"org_type",	"phone",       "website",      "postcode",     "area",
	"functions",	"is_partnership_enquiry", "out_of_area", "assigned_to", "subject",
	"ack_decision", "message_count", "quarantine_reason", NULL};

/* One CSV field (RFC 4180). A value a spreadsheet would run as a formula gets a leading
 * apostrophe (=, +, -, @ first). */
static void csv_field(GString *out, const char *value)
{
	const char *v = value ? value : "";
	/* "+441632960123" is a telephone number, which no spreadsheet runs. */
	gboolean phone = v[0] == '+' && v[1] && strspn(v + 1, "0123456789") == strlen(v + 1);
	gboolean formula = strchr("=+-@", v[0]) && v[0] && !phone;
	gboolean quote = formula || strpbrk(v, ",\"\r\n") != NULL;
	if (!quote) {
		g_string_append(out, v);
		return;
	}
	g_string_append_c(out, '"');
	if (formula)
		g_string_append_c(out, '\'');
	for (const char *p = v; *p; p++) {
		if (*p == '"')
			g_string_append_c(out, '"');
		g_string_append_c(out, *p);
	}
	g_string_append_c(out, '"');
}

static void csv_row(GString *out, const struct lead *l)
{
	g_autofree char *created = json_format_time(l->created_at);
	g_autofree char *updated = json_format_time(l->updated_at);
	g_autofree char *count = g_strdup_printf("%" G_GINT64_FORMAT, l->message_count);
	const char *values[] = {
		l->ref,		l->id,		 l->status,	  l->unread ? "true" : "false",
		l->undeliverable ? "true" : "false", created, updated, l->applicant_email,
		l->contact_name, l->organisation, l->org_type,	 l->phone,
		l->website,	l->postcode,	 l->area,	  l->functions,
		l->is_partnership_enquiry ? "true" : "false", l->out_of_area ? "true" : "false",
		l->assigned_to, l->subject,	 l->ack_decision, count,
		l->quarantine_reason};
	for (gsize i = 0; i < G_N_ELEMENTS(values); i++) {
		if (i)
			g_string_append_c(out, ',');
		csv_field(out, values[i]);
	}
	g_string_append(out, "\r\n");
}

static char *export_csv(GPtrArray *leads, gboolean bom)
{
	GString *out = g_string_new(bom ? "\xef\xbb\xbf" : "");
	for (const char *const *c = export_columns; *c; c++)
		g_string_append_printf(out, "%s%s", c == export_columns ? "" : ",", *c);
	g_string_append(out, "\r\n");
	for (guint i = 0; i < leads->len; i++)
		csv_row(out, leads->pdata[i]);
	return g_string_free(out, FALSE);
}

static char *export_json(GPtrArray *leads)
{
	struct json j;
	json_init(&j);
	json_begin_array(&j);
	for (guint i = 0; i < leads->len; i++) {
		json_begin_object(&j);
		lead_json_fields(&j, leads->pdata[i]);
		json_end_object(&j);
	}
	json_end_array(&j);
	return json_finish(&j);
}

static gboolean write_output(const char *path, const char *text, GError **error)
{
	if (!path) {
		fputs(text, stdout);
		return fflush(stdout) == 0;
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (fd < 0) {
		g_set_error(error, OV_ERROR, OV_ERROR_INPUT, "cannot create %s: %s", path,
			    g_strerror(errno));
		return FALSE;
	}
	gsize len = strlen(text);
	gboolean ok = write(fd, text, len) == (ssize_t)len;
	ok = close(fd) == 0 && ok;
	if (!ok)
		g_set_error(error, OV_ERROR, OV_ERROR_STORE, "cannot write %s", path);
	return ok;
}

int cmd_export(int argc, char **argv)
{
	struct lead_filter filter = {0};
	struct filter_options o = {0};
	char *format = NULL, *output = NULL;
	gboolean bom = FALSE;
	GOptionEntry entries[] = {
		{"format", 'F', 0, G_OPTION_ARG_STRING, &format, "csv (the default) or json", "FMT"},
		{"bom", 0, 0, G_OPTION_ARG_NONE, &bom,
		 "Start the CSV with a UTF-8 byte order mark (for Excel)", NULL},
		{"output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
		 "Write to FILE (which must not exist yet) instead of standard output", "FILE"},
		G_OPTION_ENTRY_NULL};
	g_autoptr(GOptionContext) ctx = cli_context(
		"", "Every field of every lead the filters select, one row per lead, oldest "
		    "first: for the hub's partner register and annual returns. CSV follows RFC "
		    "4180 (UTF-8, CRLF, a header row).",
		"Examples:\n  overture export --bom -o partners.csv\n"
		"  overture export --status partner --function inclusion --format json\n\n"
		"A value a spreadsheet would run as a formula (starting =, +, - or @; a\n"
		"telephone number such as +441632960123 aside) is written with a leading\n"
		"apostrophe.");
	add_filter_entries(ctx, &o);
	g_option_context_add_main_entries(ctx, entries, NULL);
	int status = EX_OK;
	gboolean ok = cli_parse(ctx, &argc, &argv, &status);
	g_autofree char *fmt = format;
	g_autofree char *out_path = output;
	if (ok && argc > 1)
		status = cli_usage_error("export takes no arguments; filters are options");
	else if (ok && fmt && strcmp(fmt, "csv") && strcmp(fmt, "json"))
		status = cli_usage_error("--format is csv or json");
	else if (ok && !filter_from_options(&o, &filter))
		status = EX_USAGE;
	g_autoptr(OvConfig) cfg = ok && status == EX_OK ? cli_config(CONFIG_STORE_ONLY, &status) : NULL;
	g_autoptr(OvStore) st = cfg ? cli_store(cfg, &status) : NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) leads = st ? store_list_leads(st, &filter, &error) : NULL;
	if (st && !leads)
		status = cli_fail(error);
	if (leads) {
		for (guint a = 0, b = leads->len ? leads->len - 1 : 0; a < b; a++, b--) {
			gpointer t = leads->pdata[a]; /* oldest first */
			leads->pdata[a] = leads->pdata[b];
			leads->pdata[b] = t;
		}
		g_autofree char *text = fmt && !strcmp(fmt, "json") ? export_json(leads)
								   : export_csv(leads, bom);
		if (!write_output(out_path, text, &error))
			status = cli_fail(error);
		else if (out_path)
			g_printerr("%s: %u leads\n", out_path, leads->len);
	}
	filter_options_clear(&o);
	return status;
}
