/* Coordinator notices. The digest's clock and the last lead it covered are kept in the
 * store (state digest_at, digest_after), so a restart neither repeats nor skips a lead. */
#include "notify.h"

#include "log.h"

gboolean notify_new_lead(struct store *st, const struct config *cfg, const struct templates *t,
			 const char *lead_id, const char *ref, const struct lead_fields *fields,
			 const struct mail *mail, GError **error)
{
	if (!cfg->notify.to || cfg->notify.mode != NOTIFY_EACH)
		return TRUE;
	g_autoptr(OvOutgoing) notice = compose_notification(cfg, t, ref, fields, mail, error);
	return notice && store_queue_outgoing(st, lead_id, "notification", notice, error);
}

static char *digest_line(const struct lead *l)
{
	g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local(l->created_at);
	g_autofree char *when = g_date_time_format(dt, "%Y-%m-%d %H:%M");
	const char *who = l->contact_name ? l->contact_name : l->applicant_email;
	return g_strdup_printf("%s  %s  %s%s%s%s\n    %s%s\n", l->ref, when, who ? who : "?",
			       l->organisation ? " (" : "", l->organisation ? l->organisation : "",
			       l->organisation ? ")" : "", l->subject,
			       g_strcmp0(l->status, "quarantined") ? "" : "  [quarantined]");
}

static gboolean queue_digest(struct store *st, const struct config *cfg,
			     const struct templates *t, gint64 after, GError **error)
{
	struct lead_filter filter = {.after_seqno = after};
	g_autoptr(GPtrArray) leads = store_list_leads(st, &filter, error);
	if (!leads)
		return FALSE;
	if (!leads->len)
		return TRUE; /* nothing new: no digest, and the clock goes on */
	GString *list = g_string_new(NULL);
	for (guint i = leads->len; i-- > 0;) {
		g_autofree char *line = digest_line(leads->pdata[i]);
		g_string_append(list, line);
	}
	g_autofree char *text = g_string_free(list, FALSE);
	g_autoptr(OvOutgoing) digest = compose_digest(cfg, t, text, leads->len, error);
	if (!digest || !store_queue_outgoing(st, NULL, "digest", digest, error))
		return FALSE;
	log_info("digest of %u new leads queued for %s", leads->len, cfg->notify.to);
	return TRUE;
}

/* Remembers that the digest covers everything up to now. */
static gboolean reset_clock(struct store *st, gint64 now, GError **error)
{
	gint64 last = 0;
	g_autofree char *at = g_strdup_printf("%" G_GINT64_FORMAT, now);
	if (!store_last_seqno(st, &last, error))
		return FALSE;
	g_autofree char *seq = g_strdup_printf("%" G_GINT64_FORMAT, last);
	return store_set_state(st, "digest_at", at, error) &&
	       store_set_state(st, "digest_after", seq, error);
}

gboolean notify_digest_if_due(struct store *st, const struct config *cfg,
			      const struct templates *t, GError **error)
{
	if (!cfg->notify.to || cfg->notify.mode != NOTIFY_DIGEST)
		return TRUE;
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;
	if (!store_begin(st, error))
		return FALSE;
	GError *local = NULL;
	g_autofree char *at = store_get_state(st, "digest_at", &local);
	g_autofree char *after = local ? NULL : store_get_state(st, "digest_after", &local);
	gboolean ok = local == NULL;
	if (local)
		g_propagate_error(error, local);
	if (ok && !at) /* the first run starts the clock */
		ok = reset_clock(st, now, error);
	else if (ok && now - g_ascii_strtoll(at, NULL, 10) >= cfg->notify.digest_every)
		ok = queue_digest(st, cfg, t, after ? g_ascii_strtoll(after, NULL, 10) : 0, error) &&
		     reset_clock(st, now, error);
	if (!ok) {
		store_rollback(st);
		return FALSE;
	}
	return store_commit(st, error);
}
