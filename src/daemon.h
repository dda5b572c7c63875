/* The daemon: runs intake and the outbox every poll_interval until SIGTERM or SIGINT,
 * backs off while the mailbox cannot be reached, tells systemd when it is ready, and
 * logs each change of state once. `run --once` is one such cycle. */
#ifndef OVERTURE_DAEMON_H
#define OVERTURE_DAEMON_H

#include "config.h"

#include <glib.h>

struct run_options {
	gboolean once;
	gboolean dry_run;
};

/* Returns the process exit status (sysexits.h). */
int daemon_run(const struct config *cfg, const struct run_options *opts);

#endif
