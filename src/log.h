/* Logging for the daemon and the commands: one line per event on stderr. Under systemd
 * (JOURNAL_STREAM set) each line starts with the <N> priority prefix journald reads;
 * on a terminal it starts with the time and the level. Never pass a secret to these. */
#ifndef OVERTURE_LOG_H
#define OVERTURE_LOG_H

#include <glib.h>

enum log_level {
	LOG_LEVEL_ERR = 3,
	LOG_LEVEL_WARNING = 4,
	LOG_LEVEL_NOTICE = 5,
	LOG_LEVEL_INFO = 6,
	LOG_LEVEL_DEBUG = 7,
};

void log_set_verbose(gboolean verbose);
void log_msg(enum log_level level, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

#define log_err(...) log_msg(LOG_LEVEL_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LEVEL_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_LEVEL_NOTICE, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif
