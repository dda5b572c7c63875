/* The command line: dispatch, help, the helpers every command shares, and the
 * administrator's commands (run, check, classify, reprocess). The coordinators' review
 * commands are in review.c. Every command parses its own options with GOptionContext,
 * so each has --help with an example; errors go to stderr as "overture: ..." with a
 * sysexits.h status. */
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
gboolean cli_opt_json;
static gboolean opt_verbose;

static GOptionEntry config_entries[] = {
	{"config", 'c', 0, G_OPTION_ARG_FILENAME, &opt_config,
	 "Configuration file (default: $OVERTURE_CONFIG, then /etc/overture/overture.conf)",
	 "FILE"},
	{"verbose", 'v', 0, G_OPTION_ARG_NONE, &opt_verbose, "Log debugging detail", NULL},
	G_OPTION_ENTRY_NULL};

GOptionEntry cli_json_entries[] = {
	{"json", 0, 0, G_OPTION_ARG_NONE, &cli_opt_json, "Print one JSON document", NULL},
	G_OPTION_ENTRY_NULL};

int cli_fail(const GError *error)
{
	g_printerr("overture: %s\n", error->message);
	return ov_error_exit_code(error);
}

GOptionContext *cli_context(const char *params, const char *summary, const char *example)
{
	GOptionContext *ctx = g_option_context_new(params);
	g_option_context_set_summary(ctx, summary);
	g_option_context_set_description(ctx, example);
	g_option_context_add_main_entries(ctx, config_entries, NULL);
	return ctx;
}

/* Parses ARGV; FALSE (with *STATUS set and a hint printed) on a usage error. */
gboolean cli_parse(GOptionContext *ctx, int *argc, char ***argv, int *status)
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

int cli_usage_error(const char *message)
{
	g_printerr("%s: %s\nTry '%s --help'.\n", g_get_prgname(), message, g_get_prgname());
	return EX_USAGE;
}

struct config *cli_config(enum config_needs needs, int *status)
{
	g_autoptr(GError) error = NULL;
	struct config *cfg = config_load(config_default_path(opt_config), needs, &error);
	if (!cfg)
		*status = cli_fail(error);
	return cfg;
}

struct store *cli_store(const struct config *cfg, int *status)
{
	g_autoptr(GError) error = NULL;
	struct store *st = store_open(cfg->store.path, &error);
	if (!st)
		*status = cli_fail(error);
	return st;
}

void cli_print_json(struct json *j)
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
	g_autoptr(GOptionContext) ctx = cli_context(
		"", "Run the daemon: file new mail from the IMAP mailbox as leads and send their "
		    "acknowledgements, every [imap] poll_interval until SIGTERM or SIGINT.",
		"Examples:\n  overture run -c /etc/overture/overture.conf\n"
		"  overture run --once --dry-run     # what would happen, touching nothing\n\n"
		"Exit status with --once: 0 when the mailbox was read (mail that could not be "
		"sent\nstays queued), 78 configuration, 77 IMAP login or certificate refused, 75 "
		"IMAP\nserver unreachable.");
	g_option_context_add_main_entries(ctx, entries, NULL);
	int status = EX_OK;
	if (!cli_parse(ctx, &argc, &argv, &status))
		return status;
	if (argc > 1)
		return cli_usage_error("run takes no arguments");
	g_autoptr(OvConfig) cfg = cli_config(CONFIG_SECRETS, &status);
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
	g_autoptr(GOptionContext) ctx = cli_context(
		"", "Check the configuration: read it and the password files, render the "
		    "templates, open the store, log in to IMAP and SMTP. Says what is wrong.",
		"Example:\n  overture check -c /etc/overture/overture.conf");
	int status = EX_OK;
	if (!cli_parse(ctx, &argc, &argv, &status))
		return status;
	const char *file = config_default_path(opt_config);
	g_autoptr(GError) error = NULL;
	g_autoptr(OvConfig) cfg = config_load(file, CONFIG_SECRETS, &error);
	if (!check_step("config", file, cfg != NULL, error))
		return ov_error_exit_code(error);
	g_autoptr(OvTemplates) tmpl = templates_load(cfg->ack.templates, cfg->notify.to != NULL, &error);
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

/* ---- classify ---- */

/* The extracted text fields in the order a coordinator reads them. */
static const struct {
	const char *name;
	gsize offset;
} extracted[] = {
	{"applicant_email", G_STRUCT_OFFSET(struct lead_fields, applicant_email)},
	{"contact_name", G_STRUCT_OFFSET(struct lead_fields, contact_name)},
	{"organisation", G_STRUCT_OFFSET(struct lead_fields, organisation)},
	{"org_type", G_STRUCT_OFFSET(struct lead_fields, org_type)},
	{"phone", G_STRUCT_OFFSET(struct lead_fields, phone)},
	{"website", G_STRUCT_OFFSET(struct lead_fields, website)},
	{"postcode", G_STRUCT_OFFSET(struct lead_fields, postcode)},
	{"area", G_STRUCT_OFFSET(struct lead_fields, area)},
	{"functions", G_STRUCT_OFFSET(struct lead_fields, functions)},
};

#define EXTRACTED(f, i) G_STRUCT_MEMBER(const char *, (f), extracted[i].offset)

static void json_extracted(struct json *j, const struct lead_fields *f)
{
	json_key(j, "fields");
	json_begin_object(j);
	for (gsize i = 0; i < G_N_ELEMENTS(extracted); i++) {
		if (!strcmp(extracted[i].name, "functions")) {
			json_key(j, "functions");
			json_list(j, EXTRACTED(f, i));
		} else {
			json_member_string(j, extracted[i].name, EXTRACTED(f, i));
		}
	}
	json_member_bool(j, "is_partnership_enquiry", f->is_partnership_enquiry);
	json_member_bool(j, "out_of_area", f->out_of_area);
	json_member_bool(j, "applicant_in_body", f->applicant_in_body);
	json_key(j, "provenance");
	json_begin_object(j);
	g_autoptr(GList) keys = g_list_sort(g_hash_table_get_keys(f->provenance), (GCompareFunc)strcmp);
	for (GList *k = keys; k; k = k->next)
		json_member_string(j, k->data, g_hash_table_lookup(f->provenance, k->data));
	json_end_object(j);
	json_end_object(j);
}

static void print_extracted(const struct lead_fields *f)
{
	for (gsize i = 0; i < G_N_ELEMENTS(extracted); i++)
		if (EXTRACTED(f, i) && *EXTRACTED(f, i))
			g_print("  %-16s %s  (%s)\n", extracted[i].name, EXTRACTED(f, i),
				(const char *)g_hash_table_lookup(f->provenance, extracted[i].name));
	if (f->out_of_area)
		g_print("  %-16s yes\n", "out_of_area");
}

/* The decision for one file: 0 acknowledge, 1 withhold, EX_DATAERR not a message. */
static int classify_one(const struct config *cfg, const struct extract_rules *rules,
			const char *file, gboolean name_it, struct json *j)
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
	struct lead_fields fields;
	extract_fields(m, cfg, rules, &fields);
	intake_accept_form(&v, &fields);
	if (!v.robot && (v.reason = intake_ack_policy(cfg, m, &fields)))
		v.robot = TRUE; /* a person, but no acknowledgement either */
	const char *reply = fields.applicant_email;
	if (j) {
		json_begin_object(j);
		json_member_string(j, "file", file);
		json_member_string(j, "decision", v.robot ? "withhold" : "acknowledge");
		json_member_string(j, "reason", v.robot ? v.reason : "a person's message");
		json_member_string(j, "reply_address", reply);
		json_member_bool(j, "bounce", v.bounce);
		json_extracted(j, &fields);
		json_end_object(j);
	} else {
		if (v.robot)
			g_print("%s%swithhold: %s\n", prefix, colon, v.reason);
		else
			g_print("%s%sacknowledge: a person's message (reply to %s)\n", prefix, colon,
				reply ? reply : "?");
		print_extracted(&fields);
	}
	int status = v.robot ? 1 : EX_OK;
	verdict_clear(&v);
	lead_fields_clear(&fields);
	return status;
}

static int cmd_classify(int argc, char **argv)
{
	g_autoptr(GOptionContext) ctx = cli_context(
		"FILE.eml...", "Say whether Overture would acknowledge each message, and why. "
			       "Reads the files only: the store and the servers are not touched.",
		"Examples:\n  overture classify out-of-office.eml\n"
		"  overture classify --json saved/*.eml\n\n"
		"Each decision is followed by the fields read from the message (organisation,\n"
		"type, functions...) and where each came from; tune them in extract.ini beside\n"
		"the templates.\n"
		"Exit status: 0 acknowledge (all of them), 1 withhold (any), 65 a file is not a "
		"message.\nWith several files each line starts with the file's name; --json "
		"prints an array.\nWhat depends on the store (follow-ups of a lead, the limits "
		"per address) is not\nconsidered here; `overture show` gives the decision "
		"actually taken.");
	g_option_context_add_main_entries(ctx, cli_json_entries, NULL);
	int status = EX_OK;
	if (!cli_parse(ctx, &argc, &argv, &status))
		return status;
	if (argc < 2)
		return cli_usage_error("classify needs a message file");
	g_autoptr(OvConfig) cfg = cli_config(CONFIG_STORE_ONLY, &status);
	if (!cfg)
		return status;
	g_autoptr(GError) error = NULL;
	g_autofree char *rules_file = g_build_filename(cfg->ack.templates, "extract.ini", NULL);
	g_autoptr(OvExtractRules) rules = extract_rules_load(rules_file, &error);
	if (!rules)
		return cli_fail(error);
	gboolean several = argc > 2;
	struct json j;
	json_init(&j);
	if (cli_opt_json && several)
		json_begin_array(&j);
	for (int i = 1; i < argc; i++) {
		int one = classify_one(cfg, rules, argv[i], several, cli_opt_json ? &j : NULL);
		if (one == EX_DATAERR || (one == 1 && status != EX_DATAERR))
			status = one;
	}
	if (cli_opt_json && several)
		json_end_array(&j);
	if (cli_opt_json)
		cli_print_json(&j);
	else
		g_string_free(j.out, TRUE);
	return status;
}

/* ---- reprocess ---- */

static int cmd_reprocess(int argc, char **argv)
{
	g_autoptr(GOptionContext) ctx = cli_context(
		"REF", "Run a quarantined lead through the stages again, after a fix (a newer "
		       "Overture, a larger [imap] max_message_size). Uses the kept raw copy, or "
		       "fetches the message again by UID when only part of it was kept. The "
		       "lead becomes a normal one; an acknowledgement, if due, is queued for "
		       "the daemon to send.",
		"Example:\n  overture leads --status quarantined\n  overture reprocess EOI-2026-0042");
	int status = EX_OK;
	if (!cli_parse(ctx, &argc, &argv, &status))
		return status;
	if (argc != 2)
		return cli_usage_error("reprocess needs one lead reference, e.g. EOI-2026-0042");
	g_autoptr(OvConfig) cfg = cli_config(CONFIG_SECRETS, &status);
	g_autoptr(GError) error = NULL;
	g_autoptr(OvTemplates) tmpl = cfg ? templates_load(cfg->ack.templates, cfg->notify.to != NULL, &error) : NULL;
	if (cfg && !tmpl)
		return cli_fail(error);
	g_autoptr(OvStore) st = cfg ? cli_store(cfg, &status) : NULL;
	if (!st)
		return status;
	g_autofree char *decision = NULL;
	if (!intake_reprocess(st, cfg, tmpl, argv[1], &decision, &error))
		return cli_fail(error);
	g_print("%s reprocessed: %s\n", argv[1], decision);
	if (g_str_has_prefix(decision, "acknowledged"))
		g_print("The acknowledgement is queued; the running daemon (or `overture run "
			"--once`) sends it.\n");
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

const char *cli_actor(const char *as)
{
	if (as && *as)
		return as;
	const char *sudo = g_getenv("SUDO_USER");
	return sudo && *sudo ? sudo : g_get_user_name();
}

static const struct command commands[] = {
	{"run", cmd_run, "the daemon: file new mail as leads, send acknowledgements"},
	{"check", cmd_check, "check configuration, templates, store, IMAP and SMTP"},
	{"leads", cmd_leads, "the review queue, newest first"},
	{"show", cmd_show, "one lead: fields, thread, attachments, history"},
	{"classify", cmd_classify, "would this message be acknowledged, and why"},
	{"set", cmd_set, "set a lead's status, or correct one of its fields"},
	{"assign", cmd_assign, "assign a lead to a coordinator"},
	{"note", cmd_note, "add a coordinator's note to a lead"},
	{"export", cmd_export, "every lead as CSV or JSON, for the partner register"},
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
