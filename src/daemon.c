/* The main loop. Signals only set a flag; the loop checks it between messages and while
 * waiting, so SIGTERM finishes the message in hand and exits cleanly. */
#include "daemon.h"

#include "compose.h"
#include "error.h"
#include "intake.h"
#include "log.h"
#include "notify.h"
#include "outbox.h"
#include "store.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sysexits.h>
#include <unistd.h>

#define MAX_BACKOFF 900		/* seconds between attempts while IMAP is unreachable */
#define LOGIN_RETRY 600		/* seconds between attempts while login or TLS fails */

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void catch_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* sd_notify(3) without libsystemd: one datagram to $NOTIFY_SOCKET. */
static void notify_systemd(const char *state)
{
	const char *path = g_getenv("NOTIFY_SOCKET");
	if (!path || !*path || strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	memcpy(sa.sun_path, path, strlen(path));
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0';
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	socklen_t len = offsetof(struct sockaddr_un, sun_path) + strlen(path);
	if (sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa, len) < 0)
		log_debug("cannot notify systemd: %s", g_strerror(errno));
	close(fd);
}

/* Waits SECONDS, or less when a signal asks us to stop. */
static void wait_seconds(gint64 seconds)
{
	for (gint64 waited = 0; waited < seconds && !stop_requested; waited++)
		poll(NULL, 0, 1000);
}

struct loop_state {
	int failures;	    /* consecutive failed passes */
	int problem;	    /* the error code logged last; -1: none (logged once per change) */
};

static void report_pass(const struct intake_report *in, const struct send_report *out)
{
	if (!in->filed && !in->follow_ups && !in->robots && !in->quarantined && !in->duplicates &&
	    !out->sent && !out->deferred && !out->failed)
		return;
	log_info("filed %u new leads, %u follow-ups, %u robot messages, %u quarantined, "
		 "%u already filed; sent %u, deferred %u, failed %u",
		 in->filed, in->follow_ups, in->robots, in->quarantined, in->duplicates, out->sent,
		 out->deferred, out->failed);
}

/* Logs a problem when it is new (a new kind: another "cannot reach" while unreachable
 * is not news), and a recovery when a problem ends. */
static void note_problem(struct loop_state *ls, const GError *error)
{
	if (!error) {
		if (ls->problem >= 0)
			log_notice("the mailbox is reachable again");
		ls->problem = -1;
		ls->failures = 0;
		return;
	}
	ls->failures++;
	if (ls->problem == error->code)
		return;
	ls->problem = error->code;
	gboolean admin = g_error_matches(error, OV_ERROR, OV_ERROR_IMAP_AUTH) ||
			 g_error_matches(error, OV_ERROR, OV_ERROR_IMAP_TLS) ||
			 g_error_matches(error, OV_ERROR, OV_ERROR_STORE) ||
			 g_error_matches(error, OV_ERROR, OV_ERROR_CONFIG);
	log_msg(admin ? LOG_LEVEL_ERR : LOG_LEVEL_WARNING, "%s%s", error->message,
		admin ? " (retrying every 10 minutes until this is fixed)" : " (will retry)");
}

static gint64 next_wait(const struct config *cfg, const struct loop_state *ls,
			const GError *error)
{
	if (!error)
		return cfg->imap.poll_interval;
	if (g_error_matches(error, OV_ERROR, OV_ERROR_IMAP_AUTH) ||
	    g_error_matches(error, OV_ERROR, OV_ERROR_IMAP_TLS))
		return MAX(LOGIN_RETRY, cfg->imap.poll_interval);
	if (g_error_matches(error, OV_ERROR, OV_ERROR_MAILBOX_CHANGED))
		return 1; /* the next pass re-reads the mailbox at once */
	gint64 wait = cfg->imap.poll_interval;
	for (int i = 1; i < ls->failures && wait < MAX_BACKOFF; i++)
		wait *= 2;
	return MIN(wait, MAX(MAX_BACKOFF, cfg->imap.poll_interval));
}

/* One cycle: file new mail, then send what is due. Returns the intake error, if any. */
static GError *cycle(struct store *st, const struct config *cfg, const struct templates *tmpl)
{
	struct intake_report in = {0};
	struct send_report out = {0};
	GError *intake_error = NULL;
	g_autoptr(GError) send_error = NULL;
	intake_run(st, cfg, tmpl, &stop_requested, &in, &intake_error);
	if (!notify_digest_if_due(st, cfg, tmpl, &send_error)) {
		log_err("digest: %s", send_error->message);
		g_clear_error(&send_error);
	}
	if (!outbox_send_due(st, cfg, &out, &send_error))
		log_err("outbox: %s", send_error->message);
	report_pass(&in, &out);
	return intake_error;
}

static int run_loop(struct store *st, const struct config *cfg, const struct templates *tmpl,
		    const struct run_options *opts)
{
	struct loop_state ls = {.problem = -1};
	int status = EX_OK;
	if (!opts->once) {
		log_notice("overture started: polling %s every %" G_GINT64_FORMAT " s",
			   cfg->imap.url, cfg->imap.poll_interval);
		notify_systemd("READY=1\nSTATUS=polling the mailbox");
	}
	while (!stop_requested) {
		g_autoptr(GError) error = cycle(st, cfg, tmpl);
		if (opts->once) {
			if (error) {
				log_err("%s", error->message);
				status = ov_error_exit_code(error);
			}
			break;
		}
		note_problem(&ls, error);
		wait_seconds(next_wait(cfg, &ls, error));
	}
	if (!opts->once) {
		notify_systemd("STOPPING=1");
		log_notice("overture stopped");
	}
	return status;
}

static void remove_tree(const char *path)
{
	if (g_file_test(path, G_FILE_TEST_IS_DIR) && !g_file_test(path, G_FILE_TEST_IS_SYMLINK)) {
		g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
		const char *name;
		while (dir && (name = g_dir_read_name(dir))) {
			g_autofree char *child = g_build_filename(path, name, NULL);
			remove_tree(child);
		}
		g_rmdir(path);
	} else {
		g_unlink(path);
	}
}

static void print_would_send(struct store *scratch, gint64 known_rows)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) rows = store_outbox_list(scratch, NULL, &error);
	guint n = 0;
	for (guint i = 0; rows && i < rows->len; i++) {
		const struct outbox_row *r = rows->pdata[i];
		if (r->id <= known_rows)
			continue;
		g_print("would send %s %s to %s: %s\n", r->lead_ref ? r->lead_ref : "-", r->kind,
			r->recipient, r->subject);
		n++;
	}
	g_print("dry run: %u message%s would be sent; nothing was filed, marked or sent\n", n,
		n == 1 ? "" : "s");
}

/* --dry-run: one pass into a scratch copy of the store; the mailbox is left as it
 * was (after_filing = keep restores \Seen) and nothing is sent. */
static int dry_run(const struct config *cfg, const struct templates *tmpl)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *scratch_dir = g_dir_make_tmp("overture-dry-run-XXXXXX", &error);
	if (!scratch_dir) {
		log_err("%s", error->message);
		return EX_CANTCREAT;
	}
	struct config copy = *cfg;
	g_autofree char *db = g_build_filename(scratch_dir, "overture.db", NULL);
	g_autofree char *spool = g_build_filename(scratch_dir, "spool", NULL);
	copy.store.path = db;
	copy.store.spool = spool;
	copy.imap.after_filing = AFTER_FILING_KEEP;
	gint64 known_rows = 0;
	g_autoptr(OvStore) real = g_file_test(cfg->store.path, G_FILE_TEST_EXISTS)
					  ? store_open(cfg->store.path, &error)
					  : NULL;
	gboolean ok = !error && (!real || (store_lock(real, "intake", &error) &&
					   store_copy_to(real, db, &error)));
	g_autoptr(OvStore) scratch = ok ? store_open(db, &error) : NULL;
	if (scratch) {
		g_autoptr(GPtrArray) before = store_outbox_list(scratch, NULL, NULL);
		known_rows = before && before->len ? ((struct outbox_row *)before->pdata[0])->id : 0;
		struct intake_report in = {0};
		ok = intake_run(scratch, &copy, tmpl, &stop_requested, &in, &error);
		if (ok)
			print_would_send(scratch, known_rows);
	}
	g_clear_pointer(&scratch, store_close);
	remove_tree(scratch_dir);
	if (error) {
		log_err("%s", error->message);
		return ov_error_exit_code(error);
	}
	return EX_OK;
}

int daemon_run(const struct config *cfg, const struct run_options *opts)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(OvTemplates) tmpl = templates_load(cfg->ack.templates, cfg->notify.to != NULL, &error);
	g_autoptr(OvStore) st = tmpl && !opts->dry_run ? store_open(cfg->store.path, &error) : NULL;
	if (!tmpl || (!st && !opts->dry_run)) {
		log_err("%s", error->message);
		return ov_error_exit_code(error);
	}
	catch_signals();
	if (opts->dry_run)
		return dry_run(cfg, tmpl);
	return run_loop(st, cfg, tmpl, opts);
}
