/* The `overture` command line: one binary, one subcommand per task, each with --help.
 * Owns argument parsing, output formatting (tables, tab-separated lines, JSON) and exit
 * codes; the work itself is done by the stages and the store. cli.c dispatches and holds
 * the administrator's commands, review.c the coordinators'. */
#ifndef OVERTURE_CLI_H
#define OVERTURE_CLI_H

#include "config.h"
#include "json.h"
#include "store.h"

#include <glib.h>

int cli_main(int argc, char **argv);

/* ---- shared by the command files ---- */

extern gboolean cli_opt_json;
extern GOptionEntry cli_json_entries[];

/* Prints "overture: MESSAGE" and returns the sysexits.h code for ERROR. */
int cli_fail(const GError *error);
/* A context with -c/--config and -v; EXAMPLE goes below the options. */
GOptionContext *cli_context(const char *params, const char *summary, const char *example);
/* Parses; on a usage error prints a hint, sets *STATUS and returns FALSE. */
gboolean cli_parse(GOptionContext *ctx, int *argc, char ***argv, int *status);
/* Prints MESSAGE with a pointer to --help; returns EX_USAGE. */
int cli_usage_error(const char *message);
struct config *cli_config(enum config_needs needs, int *status);
struct store *cli_store(const struct config *cfg, int *status);
/* Prints J's document and frees it. */
void cli_print_json(struct json *j);
/* Who is acting, for the history: AS, else $SUDO_USER, else the user name. */
const char *cli_actor(const char *as);

int cmd_leads(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_set(int argc, char **argv);
int cmd_assign(int argc, char **argv);
int cmd_note(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_attachment(int argc, char **argv);
int cmd_outbox(int argc, char **argv);

#endif
