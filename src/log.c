/* Log lines to stderr, in the form journald or a person at a terminal reads best. */
#include "log.h"

#include <stdio.h>
#include <stdlib.h>

static gboolean verbose;

void log_set_verbose(gboolean on)
{
	verbose = on;
}

static const char *level_name(enum log_level level)
{
	switch (level) {
	case LOG_LEVEL_ERR:
		return "error";
	case LOG_LEVEL_WARNING:
		return "warning";
	case LOG_LEVEL_NOTICE:
		return "notice";
	case LOG_LEVEL_INFO:
		return "info";
	case LOG_LEVEL_DEBUG:
		return "debug";
	}
	return "?";
}

/* Control characters from mail (a subject, an address) must not forge log lines. */
static void write_sanitised(GString *line, const char *text)
{
	for (const char *p = text; *p; p++)
		g_string_append_c(line, ((unsigned char)*p < 0x20 || *p == 0x7f) ? ' ' : *p);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	if (level == LOG_LEVEL_DEBUG && !verbose)
		return;
	va_list ap;
	va_start(ap, fmt);
	g_autofree char *text = g_strdup_vprintf(fmt, ap);
	va_end(ap);

	g_autoptr(GString) line = g_string_new(NULL);
	if (getenv("JOURNAL_STREAM")) {
		g_string_append_printf(line, "<%d>", level);
	} else {
		g_autoptr(GDateTime) now = g_date_time_new_now_utc();
		g_autofree char *stamp = g_date_time_format(now, "%Y-%m-%dT%H:%M:%SZ");
		g_string_append_printf(line, "%s %s: ", stamp, level_name(level));
	}
	write_sanitised(line, text);
	g_string_append_c(line, '\n');
	fputs(line->str, stderr);
	fflush(stderr);
}
