/* Entry point: process-wide set-up of the libraries, then the command line. */
#include "cli.h"

#include <curl/curl.h>
#include <gmime/gmime.h>
#include <libxml/parser.h>
#include <locale.h>
#include <sys/stat.h>

int main(int argc, char **argv)
{
	setlocale(LC_ALL, "");
	/* The data directory is shared with the coordinators' group (DESIGN.md). */
	umask(007);
	g_mime_init();
	xmlInitParser();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	int status = cli_main(argc, argv);
	curl_global_cleanup();
	xmlCleanupParser();
	g_mime_shutdown();
	return status;
}
