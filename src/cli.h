/* The `overture` command line: one binary, one subcommand per task, each with --help.
 * Owns argument parsing, output formatting (tables, tab-separated lines, JSON) and exit
 * codes; the work itself is done by the stages and the store. */
#ifndef OVERTURE_CLI_H
#define OVERTURE_CLI_H

int cli_main(int argc, char **argv);

#endif
