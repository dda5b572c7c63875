/* Claim, send, mark. A row found in 'sending' when we start was left by a sender that
 * died between claiming and marking: it is sent again, same bytes, same Message-ID,
 * and the log says so. */
#include "outbox.h"

#include "error.h"
#include "log.h"
#include "smtp.h"
#include "testhook.h"

#include <unistd.h>

gint64 outbox_backoff(gint64 base, gint64 attempts)
{
	gint64 cap = MAX(base, 3600);
	gint64 delay = MAX(base, 1);
	for (gint64 i = 1; i < attempts && delay < cap; i++)
		delay *= 2;
	return MIN(delay, cap);
}

static gint64 now_seconds(void)
{
	return g_get_real_time() / G_USEC_PER_SEC;
}

static void note_on_lead(struct store *st, const struct outbox_row *row, const char *action,
			 const char *detail)
{
	g_autoptr(GError) error = NULL;
	if (row->lead_id && !store_add_event(st, row->lead_id, "overture", action, detail, &error))
		log_warn("outbox #%" G_GINT64_FORMAT ": %s", row->id, error->message);
}

static gboolean record_success(struct store *st, const struct outbox_row *row,
			       const char *reply, GError **error)
{
	if (!store_outbox_sent(st, row->id, reply, error))
		return FALSE;
	testhook_step("outbox-marked-sent");
	log_info("%s %s: %s sent to %s (%s)", row->lead_ref ? row->lead_ref : "-", row->kind,
		 row->message_id, row->recipient, reply);
	g_autofree char *detail = g_strdup_printf("%s to %s: %s", row->kind, row->recipient, reply);
	note_on_lead(st, row, "sent", detail);
	return TRUE;
}

/* Records a failed attempt; returns FALSE only when the store fails. */
static gboolean record_failure(struct store *st, const struct config *cfg,
			       const struct outbox_row *row, const GError *why,
			       struct send_report *report, GError **error)
{
	gint64 now = now_seconds();
	gint64 attempts = row->attempts + 1; /* the claim counted this one */
	const char *ref = row->lead_ref ? row->lead_ref : "-";
	gboolean permanent = g_error_matches(why, OV_ERROR, OV_ERROR_SMTP_PERM);
	gboolean expired = now - row->due_since >= cfg->smtp.give_up_after;
	if (permanent || expired) {
		g_autofree char *text = expired && !permanent
						? g_strdup_printf("gave up after %" G_GINT64_FORMAT
								  " attempts: %s",
								  attempts, why->message)
						: g_strdup(why->message);
		if (!store_outbox_fail(st, row->id, text, error))
			return FALSE;
		report->failed++;
		log_err("%s %s to %s failed: %s", ref, row->kind, row->recipient, text);
		g_autofree char *detail = g_strdup_printf("%s to %s: %s", row->kind, row->recipient, text);
		note_on_lead(st, row, "send failed", detail);
		return TRUE;
	}
	gint64 delay = outbox_backoff(cfg->smtp.retry_interval, attempts);
	if (!store_outbox_defer(st, row->id, now + delay, why->message, error))
		return FALSE;
	report->deferred++;
	log_warn("%s %s to %s deferred, retry in %" G_GINT64_FORMAT " s: %s", ref, row->kind,
		 row->recipient, delay, why->message);
	return TRUE;
}

static gboolean send_row(struct store *st, const struct config *cfg, struct smtp *smtp,
			 const struct outbox_row *row, struct send_report *report, GError **error)
{
	g_autofree char *claimer = g_strdup_printf("pid %d", (int)getpid());
	gboolean claimed = FALSE;
	if (g_strcmp0(row->status, "sending") == 0)
		log_warn("%s %s %s: an earlier send was interrupted before it was recorded; "
			 "sending it again with the same Message-ID",
			 row->lead_ref ? row->lead_ref : "-", row->kind, row->message_id);
	if (!store_outbox_claim(st, row->id, claimer, &claimed, error))
		return FALSE;
	if (!claimed)
		return TRUE;
	testhook_step("outbox-claimed");
	g_autofree char *reply = NULL;
	g_autoptr(GError) why = NULL;
	if (smtp_send(smtp, row->envelope_from, row->recipient, row->bytes, &reply, &why)) {
		testhook_step("smtp-accepted");
		report->sent++;
		return record_success(st, row, reply, error);
	}
	if (g_error_matches(why, OV_ERROR, OV_ERROR_SMTP_CONFIG) ||
	    (g_error_matches(why, OV_ERROR, OV_ERROR_SMTP_TEMP) && !g_str_has_prefix(why->message, "4")))
		report->smtp_unavailable = TRUE;
	return record_failure(st, cfg, row, why, report, error);
}

gboolean outbox_send_due(struct store *st, const struct config *cfg, struct send_report *report,
			 GError **error)
{
	*report = (struct send_report){0};
	g_autoptr(GError) busy = NULL;
	if (!store_lock(st, "send", &busy)) {
		if (!g_error_matches(busy, OV_ERROR, OV_ERROR_BUSY)) {
			g_propagate_error(error, g_steal_pointer(&busy));
			return FALSE;
		}
		log_info("another overture process is sending the outbox; leaving it to that one");
		return TRUE;
	}
	g_autoptr(GPtrArray) due = store_outbox_due(st, now_seconds(), error);
	gboolean ok = due != NULL;
	g_autoptr(OvSmtp) smtp = NULL;
	if (ok && due->len)
		smtp = smtp_new(&cfg->smtp, error);
	ok = ok && (!due->len || smtp);
	for (guint i = 0; ok && i < due->len && !report->smtp_unavailable; i++)
		ok = send_row(st, cfg, smtp, due->pdata[i], report, error);
	store_unlock(st, "send");
	return ok;
}
