/* Subcommand dispatch and the commands. Every command parses its own options with
 * GOptionContext, so each has --help with an example; errors go to stderr as
 * "overture: ..." with a sysexits.h status. */
#include "cli.h"

#include "classify.h"
#include "compose.h"
#include "config.h"
#include "daemon.h"
#include "error.h"
#include "header.h"
#include "imap.h"
#include "intake.h"
#include "json.h"
#include "log.h"
#include "mime.h"
#include "smtp.h"
#include "store.h"
#include "table.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#define OVERTURE_VERSION "0.1.0"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static char *opt_config;
static gboolean opt_json;
static gboolean opt_verbose;

static GOptionEntry config_entries[] = {
	{"config", 'c', 0, G_OPTION_ARG_FILENAME, &opt_config,
	 "Configuration file (default: $OVERTURE_CONFIG, then /etc/overture/overture.conf)",
	 "FILE"},
	{"verbose", 'v', 0, G_OPTION_ARG_NONE, &opt_verbose, "Log debugging detail", NULL},
	G_OPTION_ENTRY_NULL};

static GOptionEntry json_entries[] = {
	{"json", 0, 0, G_OPTION_ARG_NONE, &opt_json, "Print one JSON document", NULL},
	G_OPTION_ENTRY_NULL};

static int fail(const GError *error)
{
	g_printerr("overture: %s\n", error->message);
	return ov_error_exit_code(error);
}

static GOptionContext *new_context(const char *params, const char *summary, const char *example)
{
	GOptionContext *ctx = g_option_context_new(params);
	g_option_context_set_summary(ctx, summary);
	g_option_context_set_description(ctx, example);
	g_option_context_add_main_entries(ctx, config_entries, NULL);
	return ctx;
}

/* Parses ARGV; FALSE (with *STATUS set and a hint printed) on a usage error. */
static gboolean parse_args(GOptionContext *ctx, int *argc, char ***argv, int *status)
{
	g_autoptr(GError) error = NULL;
	if (g_option_context_parse(ctx, argc, argv, &error)) {
		log_set_verbose(opt_verbose);
		return TRUE;
	}
	g_printerr("%s: %s\nTry '%s --help'.\n", g_get_prgname(), error->message, g_get_prgname());
	*status = EX_USAGE;
	return FALSE;
}

static int wrong_arguments(const char *message)
{
	g_printerr("%s: %s\nTry '%s --help'.\n", g_get_prgname(), message, g_get_prgname());
	return EX_USAGE;
}

static struct config *load_config(enum config_needs needs, int *status)
{
	g_autoptr(GError) error = NULL;
	struct config *cfg = config_load(config_default_path(opt_config), needs, &error);
	if (!cfg)
		*status = fail(error);
	return cfg;
}

static struct store *open_store(const struct config *cfg, int *status)
{
	g_autoptr(GError) error = NULL;
	struct store *st = store_open(cfg->store.path, &error);
	if (!st)
		*status = fail(error);
	return st;
}

static void print_json(struct json *j)
{
	g_autofree char *text = json_finish(j);
	fputs(text, stdout);
}

/* ---- run ---- */

static int cmd_run(int argc, char **argv)
{
	struct run_options opts = {0};
	GOptionEntry entries[] = {
		{"once", 0, 0, G_OPTION_ARG_NONE, &opts.once,
		 "One full cycle (file new mail, send what is due), then exit", NULL},
		{"dry-run", 0, 0, G_OPTION_ARG_NONE, &opts.dry_run,
		 "File into a scratch copy of the store and send nothing: see what would happen",
		 NULL},
		G_OPTION_ENTRY_NULL};
	g_autoptr(GOptionContext) ctx = new_context(
		"", "Run the daemon: file new mail from the IMAP mailbox as leads and send their "
		    "acknowledgements, every [imap] poll_interval until SIGTERM or SIGINT.",
		"Examples:\n  overture run -c /etc/overture/overture.conf\n"
		"  overture run --once --dry-run     # what would happen, touching nothing\n\n"
		"Exit status with --once: 0 when the mailbox was read (mail that could not be "
		"sent\nstays queued), 78 configuration, 77 IMAP login or certificate refused, 75 "
		"IMAP\nserver unreachable.");
	g_option_context_add_main_entries(ctx, entries, NULL);
	int status = EX_OK;
	if (!parse_args(ctx, &argc, &argv, &status))
		return status;
	if (argc > 1)
		return wrong_arguments("run takes no arguments");
	g_autoptr(OvConfig) cfg = load_config(CONFIG_SECRETS, &status);
	return cfg ? daemon_run(cfg, &opts) : status;
}

/* ---- check ---- */

static gboolean check_step(const char *what, const char *where, gboolean ok, const GError *error)
{
	if (ok)
		g_print("ok      %-10s %s\n", what, where);
	else
		g_print("FAILED  %-10s %s\n        %s\n", what, where, error->message);
	return ok;
}

static gboolean check_imap(const struct config *cfg, GError **error)
{
	g_autoptr(OvImap) im = imap_new(&cfg->imap, error);
	struct imap_mailbox box;
	return im && imap_select(im, &box, error);
}

static gboolean check_smtp(const struct config *cfg, GError **error)
{
	g_autoptr(OvSmtp) s = smtp_new(&cfg->smtp, error);
	return s && smtp_check(s, error);
}

static int cmd_check(int argc, char **argv)
{
	g_autoptr(GOptionContext) ctx = new_context(
		"", "Check the configuration: read it and the password files, render the "
		    "templates, open the store, log in to IMAP and SMTP. Says what is wrong.",
		"Example:\n  overture check -c /etc/overture/overture.conf");
	int status = EX_OK;
	if (!parse_args(ctx, &argc, &argv, &status))
		return status;
	const char *file = config_default_path(opt_config);
	g_autoptr(GError) error = NULL;
	g_autoptr(OvConfig) cfg = config_load(file, CONFIG_SECRETS, &error);
	if (!check_step("config", file, cfg != NULL, error))
		return ov_error_exit_code(error);
	g_autoptr(OvTemplates) tmpl = templates_load(cfg->ack.templates, &error);
	gboolean ok = check_step("templates", cfg->ack.templates, tmpl != NULL, error);
	g_clear_error(&error);
	g_autoptr(OvStore) st = store_open(cfg->store.path, &error);
	ok &= check_step("store", cfg->store.path, st != NULL, error);
	g_clear_error(&error);
	gboolean reached = check_imap(cfg, &error);
	ok &= check_step("imap", cfg->imap.url, reached, error);
	g_clear_error(&error);
	reached = check_smtp(cfg, &error);
	ok &= check_step("smtp", cfg->smtp.url, reached, error);
	return ok ? EX_OK : EX_UNAVAILABLE;
}

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
	json_member_time(j, "created_at", l->created_at);
	json_member_time(j, "updated_at", l->updated_at);
}

static char *local_time(gint64 t)
{
	g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local(t);
	return dt ? g_date_time_format(dt, "%Y-%m-%d %H:%M") : g_strdup("-");
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
	for (guint i = 0; i < leads->len; i++) {
		const struct lead *l = leads->pdata[i];
		g_autofree char *when = local_time(l->created_at);
		const char *cells[] = {l->ref, l->status,	 flags_of(l), when,
				       who(l), l->organisation, l->subject};
		table_add_row(t, cells);
	}
	table_print(t, stdout);
}

static int cmd_leads(int argc, char **argv)
{
	struct lead_filter filter = {0};
	char *status_opt = NULL;
	GOptionEntry entries[] = {
		{"status", 's', 0, G_OPTION_ARG_STRING, &status_opt,
		 "Only leads with this status (new, reviewing, contacted, partner, declined, spam, "
		 "quarantined)",
		 "S"},
		G_OPTION_ENTRY_NULL};
	g_autoptr(GOptionContext) ctx = new_context(
		"", "The review queue, newest first. FL flags: U = the partner wrote since a "
		    "coordinator last opened the lead, ! = our mail to them bounced.",
		"Examples:\n  overture leads\n  overture leads --status new\n"
		"  overture leads --json | jq '.[0].ref'\n\n"
		"On a terminal the table fits the window; piped, each lead is one line of\n"
		"tab-separated fields (ref, status, flags, received, applicant_email,\n"
		"contact_name, organisation, subject) with tab, newline and backslash escaped.");
	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_add_main_entries(ctx, json_entries, NULL);
	int status = EX_OK;
	if (!parse_args(ctx, &argc, &argv, &status))
		return status;
	g_autofree char *status_value = status_opt;
	if (argc > 1)
		return wrong_arguments("leads takes no arguments; filters are options");
	filter.status = status_value;
	g_autoptr(OvConfig) cfg = load_config(CONFIG_STORE_ONLY, &status);
	g_autoptr(OvStore) st = cfg ? open_store(cfg, &status) : NULL;
	if (!st)
		return status;
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) leads = store_list_leads(st, &filter, &error);
	if (!leads)
		return fail(error);
	if (opt_json) {
		struct json j;
		json_init(&j);
		json_begin_array(&j);
		for (guint i = 0; i < leads->len; i++) {
			json_begin_object(&j);
			lead_json_fields(&j, leads->pdata[i]);
			json_end_object(&j);
		}
		json_end_array(&j);
		print_json(&j);
	} else if (isatty(STDOUT_FILENO)) {
		print_leads_table(leads);
		if (!leads->len)
			g_print("No leads yet: they appear when `overture run` files new mail.\n");
	} else {
		for (guint i = 0; i < leads->len; i++) {
			const struct lead *l = leads->pdata[i];
			g_autofree char *when = json_format_time(l->created_at);
			const char *cells[] = {l->ref,		    l->status,	     flags_of(l),
					       when,		    l->applicant_email, l->contact_name,
					       l->organisation, l->subject};
			table_print_tsv_row(stdout, cells, G_N_ELEMENTS(cells));
		}
	}
	return EX_OK;
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
	for (guint i = 0; i < outbox->len; i++) {
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

static void print_lead(const struct lead *l, GPtrArray *messages, GPtrArray *outbox,
		       GPtrArray *events, gboolean full)
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
	field("Assigned to", l->assigned_to);
	field("Subject", l->subject);
	field("Quarantined", l->quarantine_reason);
	field("Acknowledgement", l->ack_decision);

	g_autoptr(GArray) items = thread_of(messages, outbox);
	g_print("\nThread (%u):\n", items->len);
	for (guint i = 0; i < items->len; i++) {
		const struct thread_item *it = &g_array_index(items, struct thread_item, i);
		if (it->in)
			print_message(it->in, i + 1, &attachment_number, full);
		else
			print_outgoing(it->out, i + 1);
	}
	g_print("\nHistory:\n");
	for (guint i = 0; i < events->len; i++) {
		const struct event *e = events->pdata[i];
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

static void print_lead_json(const struct lead *l, GPtrArray *messages, GPtrArray *outbox,
			    GPtrArray *events)
{
	struct json j;
	json_init(&j);
	json_begin_object(&j);
	lead_json_fields(&j, l);
	g_autoptr(GArray) items = thread_of(messages, outbox);
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
	print_json(&j);
}

static int cmd_show(int argc, char **argv)
{
	gboolean full = FALSE;
	GOptionEntry entries[] = {
		{"full", 0, 0, G_OPTION_ARG_NONE, &full,
		 "Also print quoted history and the text of attached messages", NULL},
		G_OPTION_ENTRY_NULL};
	g_autoptr(GOptionContext) ctx = new_context(
		"REF", "One lead: its fields, the whole thread in and out with the acknowledgement "
		       "decisions, attachments and history. A reply's new text comes first; its "
		       "quoted history is summed up (--full prints it). Marks the partner's mail "
		       "as read.",
		"Examples:\n  overture show EOI-2026-0042\n  overture show EOI-2026-0042 --json\n"
		"  overture attachment EOI-2026-0042 1 > brochure.pdf");
	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_add_main_entries(ctx, json_entries, NULL);
	int status = EX_OK;
	if (!parse_args(ctx, &argc, &argv, &status))
		return status;
	if (argc != 2)
		return wrong_arguments("show needs one lead reference, e.g. EOI-2026-0042");
	g_autoptr(OvConfig) cfg = load_config(CONFIG_STORE_ONLY, &status);
	g_autoptr(OvStore) st = cfg ? open_store(cfg, &status) : NULL;
	if (!st)
		return status;
	g_autoptr(GError) error = NULL;
	struct lead *l = store_get_lead(st, argv[1], &error);
	if (!l)
		return fail(error);
	g_autoptr(GPtrArray) messages = store_lead_messages(st, l->id, &error);
	g_autoptr(GPtrArray) outbox = messages ? store_outbox_list(st, l->id, &error) : NULL;
	g_autoptr(GPtrArray) events = outbox ? store_lead_events(st, l->id, &error) : NULL;
	if (!events || !store_mark_lead_read(st, l->id, &error)) {
		lead_free(l);
		return fail(error);
	}
	if (opt_json)
		print_lead_json(l, messages, outbox, events);
	else
		print_lead(l, messages, outbox, events, full);
	lead_free(l);
	return EX_OK;
}

/* ---- classify ---- */

/* The decision for one file: 0 acknowledge, 1 withhold, EX_DATAERR not a message. */
static int classify_one(const struct config *cfg, const char *file, gboolean name_it,
			struct json *j)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(OvMail) m = mail_parse_file(file, NULL, &error);
	const char *prefix = name_it ? file : "";
	const char *colon = name_it ? ": " : "";
	if (!m) {
		if (j) {
			json_begin_object(j);
			json_member_string(j, "file", file);
			json_member_string(j, "decision", "error");
			json_member_string(j, "reason", error->message);
			json_end_object(j);
		} else {
			g_printerr("overture: %s%s%s\n", prefix, colon, error->message);
		}
		return EX_DATAERR;
	}
	struct verdict v;
	classify_mail(m, cfg, &v);
	const char *reply = mail_reply_address(m);
	if (!v.robot && !header_address_ok(reply)) {
		v.robot = TRUE; /* not a robot, but nobody to acknowledge either */
		v.reason = g_strdup("no usable address to reply to");
	}
	if (j) {
		json_begin_object(j);
		json_member_string(j, "file", file);
		json_member_string(j, "decision", v.robot ? "withhold" : "acknowledge");
		json_member_string(j, "reason", v.robot ? v.reason : "a person's message");
		json_member_string(j, "reply_address", reply);
		json_member_bool(j, "bounce", v.bounce);
		json_end_object(j);
	} else if (v.robot) {
		g_print("%s%swithhold: %s\n", prefix, colon, v.reason);
	} else {
		g_print("%s%sacknowledge: a person's message (reply to %s)\n", prefix, colon,
			reply ? reply : "?");
	}
	int status = v.robot ? 1 : EX_OK;
	verdict_clear(&v);
	return status;
}

static int cmd_classify(int argc, char **argv)
{
	g_autoptr(GOptionContext) ctx = new_context(
		"FILE.eml...", "Say whether Overture would acknowledge each message, and why. "
			       "Reads the files only: the store and the servers are not touched.",
		"Examples:\n  overture classify out-of-office.eml\n"
		"  overture classify --json saved/*.eml\n\n"
		"Exit status: 0 acknowledge (all of them), 1 withhold (any), 65 a file is not a "
		"message.\nWith several files each line starts with the file's name; --json "
		"prints an array.\nWhat depends on the store (follow-ups of a lead, the limits "
		"per address) is not\nconsidered here; `overture show` gives the decision "
		"actually taken.");
	g_option_context_add_main_entries(ctx, json_entries, NULL);
	int status = EX_OK;
	if (!parse_args(ctx, &argc, &argv, &status))
		return status;
	if (argc < 2)
		return wrong_arguments("classify needs a message file");
	g_autoptr(OvConfig) cfg = load_config(CONFIG_STORE_ONLY, &status);
	if (!cfg)
		return status;
	gboolean several = argc > 2;
	struct json j;
	json_init(&j);
	if (opt_json && several)
		json_begin_array(&j);
	for (int i = 1; i < argc; i++) {
		int one = classify_one(cfg, argv[i], several, opt_json ? &j : NULL);
		if (one == EX_DATAERR || (one == 1 && status != EX_DATAERR))
			status = one;
	}
	if (opt_json && several)
		json_end_array(&j);
	if (opt_json)
		print_json(&j);
	else
		g_string_free(j.out, TRUE);
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

static int cmd_attachment(int argc, char **argv)
{
	char *output = NULL;
	GOptionEntry entries[] = {
		{"output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
		 "Write to FILE (which must not exist yet) instead of standard output", "FILE"},
		G_OPTION_ENTRY_NULL};
	g_autoptr(GOptionContext) ctx = new_context(
		"REF N", "Write attachment N of a lead (as numbered by `overture show`) to standard "
			 "output, or to a new file with -o.",
		"Examples:\n  overture attachment EOI-2026-0042 1 > brochure.pdf\n"
		"  overture attachment EOI-2026-0042 2 -o photo.jpg");
	g_option_context_add_main_entries(ctx, entries, NULL);
	int status = EX_OK;
	if (!parse_args(ctx, &argc, &argv, &status))
		return status;
	g_autofree char *out_path = output;
	char *end = NULL;
	long n = argc == 3 ? strtol(argv[2], &end, 10) : 0;
	if (argc != 3 || *end || n < 1)
		return wrong_arguments("attachment needs a lead reference and a number, e.g. "
				       "EOI-2026-0042 1");
	if (!out_path && isatty(STDOUT_FILENO))
		return wrong_arguments("standard output is a terminal: redirect it (> file) or "
				       "give -o FILE");
	g_autoptr(OvConfig) cfg = load_config(CONFIG_STORE_ONLY, &status);
	g_autoptr(OvStore) st = cfg ? open_store(cfg, &status) : NULL;
	if (!st)
		return status;
	g_autoptr(GError) error = NULL;
	struct lead *l = store_get_lead(st, argv[1], &error);
	g_autoptr(GPtrArray) messages = l ? store_lead_messages(st, l->id, &error) : NULL;
	g_autofree char *ref = l ? g_strdup(l->ref) : NULL;
	lead_free(l);
	if (!messages)
		return fail(error);
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
		return fail(error);
	if (out_path)
		g_printerr("%s: %s (%s, %" G_GINT64_FORMAT " bytes)\n", out_path, a->filename,
			   a->content_type, a->size);
	return EX_OK;
}

/* ---- reprocess ---- */

static int cmd_reprocess(int argc, char **argv)
{
	g_autoptr(GOptionContext) ctx = new_context(
		"REF", "Run a quarantined lead through the stages again, after a fix (a newer "
		       "Overture, a larger [imap] max_message_size). Uses the kept raw copy, or "
		       "fetches the message again by UID when only part of it was kept. The "
		       "lead becomes a normal one; an acknowledgement, if due, is queued for "
		       "the daemon to send.",
		"Example:\n  overture leads --status quarantined\n  overture reprocess EOI-2026-0042");
	int status = EX_OK;
	if (!parse_args(ctx, &argc, &argv, &status))
		return status;
	if (argc != 2)
		return wrong_arguments("reprocess needs one lead reference, e.g. EOI-2026-0042");
	g_autoptr(OvConfig) cfg = load_config(CONFIG_SECRETS, &status);
	g_autoptr(GError) error = NULL;
	g_autoptr(OvTemplates) tmpl = cfg ? templates_load(cfg->ack.templates, &error) : NULL;
	if (cfg && !tmpl)
		return fail(error);
	g_autoptr(OvStore) st = cfg ? open_store(cfg, &status) : NULL;
	if (!st)
		return status;
	g_autofree char *decision = NULL;
	if (!intake_reprocess(st, cfg, tmpl, argv[1], &decision, &error))
		return fail(error);
	g_print("%s reprocessed: %s\n", argv[1], decision);
	if (g_str_has_prefix(decision, "acknowledged"))
		g_print("The acknowledgement is queued; the running daemon (or `overture run "
			"--once`) sends it.\n");
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
	print_json(&j);
}

static int outbox_retry(struct store *st, const char *id_text, const char *actor)
{
	char *end = NULL;
	gint64 id = g_ascii_strtoll(id_text, &end, 10);
	if (!*id_text || *end || id <= 0)
		return wrong_arguments("outbox retry needs the number of an outbox row");
	g_autoptr(GError) error = NULL;
	if (!store_outbox_retry(st, id, actor, &error))
		return fail(error);
	g_print("outbox row %" G_GINT64_FORMAT " is due now; the running daemon (or `overture "
		"run --once`) sends it.\n",
		id);
	return EX_OK;
}

static int cmd_outbox(int argc, char **argv)
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
	g_autoptr(GOptionContext) ctx = new_context(
		"[retry ID]", "Outgoing mail: queued, being sent, sent (with the server's reply) "
			      "and failed (with the server's words). `retry ID` makes a queued or "
			      "failed row due now.",
		"Examples:\n  overture outbox\n  overture outbox --status failed --json\n"
		"  overture outbox retry 17");
	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_add_main_entries(ctx, json_entries, NULL);
	int status = EX_OK;
	if (!parse_args(ctx, &argc, &argv, &status))
		return status;
	g_autofree char *status_value = status_opt;
	g_autofree char *actor = actor_opt ? actor_opt : g_strdup(g_get_user_name());
	gboolean retry = argc == 3 && !strcmp(argv[1], "retry");
	if (argc > 1 && !retry)
		return wrong_arguments("outbox takes no arguments, or: retry ID");
	g_autoptr(OvConfig) cfg = load_config(CONFIG_STORE_ONLY, &status);
	g_autoptr(OvStore) st = cfg ? open_store(cfg, &status) : NULL;
	if (!st)
		return status;
	if (retry)
		return outbox_retry(st, argv[2], actor);
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) rows = store_outbox_list(st, NULL, &error);
	if (!rows)
		return fail(error);
	for (guint i = rows->len; status_value && i-- > 0;)
		if (strcmp(((struct outbox_row *)rows->pdata[i])->status, status_value))
			g_ptr_array_remove_index(rows, i);
	if (opt_json)
		print_outbox_json(rows);
	else
		print_outbox_table(rows);
	return EX_OK;
}

/* ---- help ---- */

static int cmd_help(int argc, char **argv);
static int cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	g_print("overture %s\n", OVERTURE_VERSION);
	return EX_OK;
}

static const struct command commands[] = {
	{"run", cmd_run, "the daemon: file new mail as leads, send acknowledgements"},
	{"check", cmd_check, "check configuration, templates, store, IMAP and SMTP"},
	{"leads", cmd_leads, "the review queue, newest first"},
	{"show", cmd_show, "one lead: fields, thread, attachments, history"},
	{"classify", cmd_classify, "would this message be acknowledged, and why"},
	{"attachment", cmd_attachment, "write one attachment of a lead to a file"},
	{"outbox", cmd_outbox, "outgoing mail and its delivery; `outbox retry ID`"},
	{"reprocess", cmd_reprocess, "run a quarantined lead through the stages again"},
	{"help", cmd_help, "this list; `overture help COMMAND` for one command"},
	{"version", cmd_version, "print the version"},
};

static const struct command *find_command(const char *name)
{
	for (gsize i = 0; i < G_N_ELEMENTS(commands); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static void print_overview(FILE *out)
{
	fprintf(out, "Usage: overture COMMAND [OPTION...]\n\n"
		     "Overture files a Music Education Hub's partnership enquiries from its IMAP "
		     "mailbox\nas leads, acknowledges each once, and keeps the coordinators' review "
		     "queue.\n\nCommands:\n");
	for (gsize i = 0; i < G_N_ELEMENTS(commands); i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\nEach command has --help. The configuration is -c FILE, else "
		     "$OVERTURE_CONFIG,\nelse /etc/overture/overture.conf. See overture(1).\n");
}

static int cmd_help(int argc, char **argv)
{
	if (argc > 1 && find_command(argv[1]) && strcmp(argv[1], "help")) {
		g_autofree char *prg = g_strdup_printf("overture %s", argv[1]);
		g_set_prgname(prg);
		char *help_argv[] = {prg, (char *)"--help", NULL};
		return find_command(argv[1])->run(2, help_argv);
	}
	print_overview(stdout);
	return EX_OK;
}

int cli_main(int argc, char **argv)
{
	if (argc < 2) {
		print_overview(stderr);
		return EX_USAGE;
	}
	const char *name = argv[1];
	if (!strcmp(name, "--help") || !strcmp(name, "-h"))
		name = "help";
	if (!strcmp(name, "--version"))
		name = "version";
	const struct command *cmd = find_command(name);
	if (!cmd) {
		g_printerr("overture: unknown command '%s'. Try 'overture help'.\n", name);
		return EX_USAGE;
	}
	g_autofree char *prg = g_strdup_printf("overture %s", cmd->name);
	g_set_prgname(prg);
	argv[1] = prg;
	int status = cmd->run(argc - 1, argv + 1);
	g_free(opt_config);
	return status;
}
