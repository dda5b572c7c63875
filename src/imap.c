/* Fetch stage over libcurl. Untagged replies of custom commands arrive through the write
 * callback; server status lines through the header callback, where we keep the last
 * one to quote in error messages. Message bodies are only ever fetched one per URL
 * (;UID=n), streamed straight into a spool file. */
#include "imap.h"

#include "error.h"
#include "log.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SEARCH_WINDOW 5000 /* UIDs per SEARCH: keeps each reply far below the buffer */
/* Debian's libcurl 7.88 counts 1 to 1.5 KB per untagged reply line (it depends on how
 * the reply arrives) against its 300 KB "Too large response headers" limit: a FETCH of
 * 200 messages' metadata failed on a real mailbox. So metadata comes in small batches. */
#define META_BATCH 50
#define BUFFER_SIZE (1024 * 1024)

struct imap {
	CURL *curl;
	char *user;
	char *base;	   /* scheme://host:port/ */
	char *mailbox;	   /* decoded name, e.g. INBOX */
	char *mailbox_url; /* base + encoded mailbox */
	GString *response;
	char *server_line; /* the last status line the server sent */
	char errbuf[CURL_ERROR_SIZE];
	int sink_fd; /* >= 0 while fetching a message into a file */
	gint64 written;
	gint64 limit;
	gboolean too_big;
	int write_errno;
	gboolean caps_known, has_move, has_uidplus;
	GHashTable *known_folders;
};

static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
				     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct imap *im = userdata;
	size_t n = size * nmemb;
	if (im->sink_fd < 0) {
		g_string_append_len(im->response, ptr, n);
		return n;
	}
	if (im->limit && im->written + (gint64)n > im->limit) {
		im->too_big = TRUE;
		return 0;
	}
	for (size_t done = 0; done < n;) {
		ssize_t w = write(im->sink_fd, ptr + done, n - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			im->write_errno = errno;
			return 0;
		}
		done += w;
	}
	im->written += n;
	return n;
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct imap *im = userdata;
	size_t n = size * nmemb;
	/* Tagged replies (OK/NO/BAD) are what we quote; skip untagged data lines. */
	if (n > 2 && ptr[0] != '*' && ptr[0] != '+') {
		g_free(im->server_line);
		im->server_line = g_strstrip(g_strndup(ptr, n));
	}
	return n;
}

static char *quote_mailbox(const char *name)
{
	/* libcurl URL-decodes custom commands: a literal % must be sent as %25. */
	g_autofree char *escaped = NULL;
	g_auto(GStrv) parts = g_strsplit(name, "%", -1);
	escaped = g_strjoinv("%25", parts);
	return g_strdup_printf("\"%s\"", escaped);
}

static gboolean valid_mailbox_name(const char *name)
{
	for (const char *p = name; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e || *p == '"' || *p == '\\')
			return FALSE;
	return *name != '\0';
}

static gboolean split_url(struct imap *im, const char *url, GError **error)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL;
	gboolean ok = curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
		      curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
		      curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK;
	if (ok) {
		curl_url_get(u, CURLUPART_PORT, &port, 0);
		curl_url_get(u, CURLUPART_PATH, &path, CURLU_URLDECODE);
		const char *name = path && path[0] == '/' ? path + 1 : path;
		im->mailbox = g_strdup(name && *name ? name : "INBOX");
		im->base = port ? g_strdup_printf("%s://%s:%s/", scheme, host, port)
				: g_strdup_printf("%s://%s/", scheme, host);
		char *enc = curl_easy_escape(im->curl, im->mailbox, 0);
		im->mailbox_url = g_strconcat(im->base, enc, NULL);
		curl_free(enc);
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(path);
	curl_url_cleanup(u);
	if (!ok) {
		g_set_error(error, OV_ERROR, OV_ERROR_CONFIG, "[imap] url: cannot read \"%s\"", url);
		return FALSE;
	}
	if (!valid_mailbox_name(im->mailbox)) {
		g_set_error(error, OV_ERROR, OV_ERROR_CONFIG,
			    "[imap] url: mailbox \"%s\" must be plain ASCII without \" or \\",
			    im->mailbox);
		return FALSE;
	}
	return TRUE;
}

struct imap *imap_new(const struct config_imap *cfg, GError **error)
{
	g_autoptr(OvImap) im = g_new0(struct imap, 1);
	im->sink_fd = -1;
	im->response = g_string_new(NULL);
	im->known_folders = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	im->curl = curl_easy_init();
	im->user = g_strdup(cfg->user);
	if (!im->curl || !split_url(im, cfg->url, error))
		return NULL;
	CURL *c = im->curl;
	curl_easy_setopt(c, CURLOPT_USERNAME, cfg->user);
	curl_easy_setopt(c, CURLOPT_PASSWORD, cfg->password);
	if (g_str_has_prefix(cfg->url, "imap:"))
		curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	if (cfg->ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, cfg->ca_file);
	curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_SERVER_RESPONSE_TIMEOUT, 60L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 120L);
	curl_easy_setopt(c, CURLOPT_MAXAGE_CONN, 900L);
	curl_easy_setopt(c, CURLOPT_BUFFERSIZE, (long)BUFFER_SIZE);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, im);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, im);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, im->errbuf);
	return g_steal_pointer(&im);
}

void imap_free(struct imap *im)
{
	if (!im)
		return;
	if (im->curl)
		curl_easy_cleanup(im->curl);
	g_free(im->user);
	g_free(im->base);
	g_free(im->mailbox);
	g_free(im->mailbox_url);
	g_string_free(im->response, TRUE);
	g_free(im->server_line);
	g_hash_table_unref(im->known_folders);
	g_free(im);
}

const char *imap_mailbox_name(const struct imap *im)
{
	return im->mailbox;
}

/* What the server said about a failure: its tagged NO/BAD reply when there is one,
 * else libcurl's own description. */
static const char *server_words(const struct imap *im)
{
	if (im->server_line && (strstr(im->server_line, " NO") || strstr(im->server_line, " BAD")))
		return im->server_line;
	return *im->errbuf ? im->errbuf : "no reply";
}

static gboolean set_curl_error(struct imap *im, CURLcode rc, GError **error)
{
	const char *words = server_words(im);
	switch (rc) {
	case CURLE_LOGIN_DENIED:
		g_set_error(error, OV_ERROR, OV_ERROR_IMAP_AUTH,
			    "the IMAP server %s refused the login of %s (%s): check [imap] user "
			    "and password_file",
			    im->base, im->user, words);
		return FALSE;
	case CURLE_PEER_FAILED_VERIFICATION:
		g_set_error(error, OV_ERROR, OV_ERROR_IMAP_TLS,
			    "the IMAP server %s has a certificate we do not trust (%s): if it "
			    "uses its own CA, name that CA's certificate in [imap] ca_file",
			    im->base, im->errbuf);
		return FALSE;
	case CURLE_USE_SSL_FAILED:
		g_set_error(error, OV_ERROR, OV_ERROR_IMAP_TLS,
			    "the IMAP server %s does not offer STARTTLS: use an imaps:// URL",
			    im->base);
		return FALSE;
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
		g_set_error(error, OV_ERROR, OV_ERROR_IMAP_TLS, "TLS with %s failed: %s",
			    im->base, im->errbuf);
		return FALSE;
	case CURLE_SSL_CONNECT_ERROR: /* a handshake cut short, as by a restarting server */
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_GOT_NOTHING:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_PARTIAL_FILE:
		g_set_error(error, OV_ERROR, OV_ERROR_IMAP_UNREACHABLE,
			    "cannot reach the IMAP server %s: %s", im->base,
			    *im->errbuf ? im->errbuf : curl_easy_strerror(rc));
		return FALSE;
	case CURLE_REMOTE_FILE_NOT_FOUND:
		if (strstr(im->errbuf, "UIDVALIDITY")) {
			g_set_error(error, OV_ERROR, OV_ERROR_MAILBOX_CHANGED,
				    "mailbox %s was renumbered (UIDVALIDITY changed)", im->mailbox);
			return FALSE;
		}
		g_set_error(error, OV_ERROR, OV_ERROR_NOT_FOUND, "%s", words);
		return FALSE;
	default:
		g_set_error(error, OV_ERROR, OV_ERROR_IMAP_PROTOCOL, "IMAP %s: %s", im->base,
			    words);
		return FALSE;
	}
}

static gboolean connection_dropped(CURLcode rc)
{
	return rc == CURLE_GOT_NOTHING || rc == CURLE_SEND_ERROR || rc == CURLE_RECV_ERROR;
}

/* One request. A connection the server closed since the last request is reopened
 * once: every request we make is safe to repeat. */
static gboolean perform(struct imap *im, const char *url, const char *custom, GError **error)
{
	for (int attempt = 0;; attempt++) {
		g_string_truncate(im->response, 0);
		g_clear_pointer(&im->server_line, g_free);
		im->errbuf[0] = '\0';
		if (im->sink_fd >= 0) {
			if (ftruncate(im->sink_fd, 0) != 0 || lseek(im->sink_fd, 0, SEEK_SET) != 0)
				im->write_errno = errno;
			im->written = 0;
		}
		curl_easy_setopt(im->curl, CURLOPT_URL, url);
		curl_easy_setopt(im->curl, CURLOPT_CUSTOMREQUEST, custom);
		log_debug("IMAP %s", custom ? custom : url); /* never holds the password */
		CURLcode rc = curl_easy_perform(im->curl);
		if (rc == CURLE_OK)
			return TRUE;
		if (attempt == 0 && connection_dropped(rc)) {
			log_debug("IMAP connection to %s was closed; reconnecting", im->base);
			continue;
		}
		return set_curl_error(im, rc, error);
	}
}

static gboolean parse_number_after(const char *text, const char *label, gint64 *out)
{
	const char *p = strstr(text, label);
	if (!p)
		return FALSE;
	p += strlen(label);
	char *end = NULL;
	gint64 n = g_ascii_strtoll(p, &end, 10);
	if (end == p)
		return FALSE;
	*out = n;
	return TRUE;
}

gboolean imap_select(struct imap *im, struct imap_mailbox *out, GError **error)
{
	g_autofree char *quoted = quote_mailbox(im->mailbox);
	g_autofree char *cmd = g_strdup_printf("SELECT %s", quoted);
	if (!perform(im, im->base, cmd, error))
		return FALSE;
	memset(out, 0, sizeof *out);
	g_auto(GStrv) lines = g_strsplit(im->response->str, "\n", -1);
	gboolean have_validity = FALSE;
	for (char **l = lines; *l; l++) {
		gint64 n;
		if (parse_number_after(*l, "[UIDVALIDITY ", &n)) {
			out->uidvalidity = n;
			have_validity = TRUE;
		} else if (parse_number_after(*l, "[UIDNEXT ", &n)) {
			out->uidnext = n;
		} else if (g_str_has_prefix(*l, "* ") && strstr(*l, " EXISTS")) {
			out->exists = g_ascii_strtoll(*l + 2, NULL, 10);
		}
	}
	if (!have_validity) {
		g_set_error(error, OV_ERROR, OV_ERROR_IMAP_PROTOCOL,
			    "the IMAP server gave no UIDVALIDITY for %s", im->mailbox);
		return FALSE;
	}
	return TRUE;
}

static int compare_uid(gconstpointer a, gconstpointer b)
{
	gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;
	return (x > y) - (x < y);
}

/* Adds the UIDs of "* SEARCH ..." lines within [FIRST, LAST] to UIDS. */
static void collect_search(struct imap *im, gint64 first, gint64 last, GArray *uids)
{
	g_auto(GStrv) lines = g_strsplit(im->response->str, "\n", -1);
	for (char **l = lines; *l; l++) {
		if (!g_str_has_prefix(*l, "* SEARCH"))
			continue;
		g_auto(GStrv) words = g_strsplit_set(*l + 8, " \r", -1);
		for (char **w = words; *w; w++) {
			char *end = NULL;
			gint64 uid = g_ascii_strtoll(*w, &end, 10);
			/* "UID n:*" always reports the highest UID, even below n. */
			if (**w && !*end && uid >= first && (last <= 0 || uid <= last))
				g_array_append_val(uids, uid);
		}
	}
}

/* UID SEARCH CRITERIA over UIDs FIRST..uidnext-1 of BOX (as selected) in windows; the
 * last window is open-ended, so mail that arrived since the SELECT is found too. */
static GArray *search_windows(struct imap *im, const struct imap_mailbox *box, gint64 first,
			      const char *criteria, GError **error)
{
	g_autoptr(GArray) uids = g_array_new(FALSE, FALSE, sizeof(gint64));
	gint64 from = MAX(first, 1);
	for (;;) {
		gint64 to = from + SEARCH_WINDOW - 1;
		gboolean last = to >= box->uidnext - 1;
		g_autofree char *cmd =
			last ? g_strdup_printf("UID SEARCH UID %" G_GINT64_FORMAT ":*%s%s", from,
					       criteria ? " " : "", criteria ? criteria : "")
			     : g_strdup_printf("UID SEARCH UID %" G_GINT64_FORMAT
					       ":%" G_GINT64_FORMAT "%s%s",
					       from, to, criteria ? " " : "", criteria ? criteria : "");
		if (!perform(im, im->mailbox_url, cmd, error))
			return NULL;
		collect_search(im, from, last ? 0 : to, uids);
		if (last)
			break;
		from = to + 1;
	}
	g_array_sort(uids, compare_uid);
	return g_steal_pointer(&uids);
}

GArray *imap_search_from(struct imap *im, const struct imap_mailbox *box, gint64 first,
			 GError **error)
{
	return search_windows(im, box, first, NULL, error);
}

GArray *imap_search_since(struct imap *im, const struct imap_mailbox *box, gint64 since,
			  GError **error)
{
	g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(since);
	g_autofree char *criteria =
		g_strdup_printf("SINCE %d-%s-%d", g_date_time_get_day_of_month(dt),
				months[g_date_time_get_month(dt) - 1], g_date_time_get_year(dt));
	return search_windows(im, box, 1, criteria, error);
}

gint64 imap_parse_internaldate(const char *text)
{
	int day, year, hour, min, sec, zone;
	char mon[4] = {0}, sign;
	if (!text || sscanf(text, " %d-%3s-%d %d:%d:%d %c%4d", &day, mon, &year, &hour, &min,
			    &sec, &sign, &zone) != 8)
		return 0;
	int month = 0;
	for (int i = 0; i < 12; i++)
		if (!g_ascii_strcasecmp(mon, months[i]))
			month = i + 1;
	if (!month || (sign != '+' && sign != '-'))
		return 0;
	g_autoptr(GDateTime) dt = g_date_time_new_utc(year, month, day, hour, min, sec);
	if (!dt)
		return 0;
	gint64 offset = (zone / 100) * 3600 + (zone % 100) * 60;
	return g_date_time_to_unix(dt) - (sign == '+' ? offset : -offset);
}

static void parse_meta_line(const char *line, GArray *out)
{
	struct imap_meta m = {0};
	if (!g_str_has_prefix(line, "* ") || !strstr(line, " FETCH ") ||
	    !parse_number_after(line, "UID ", &m.uid))
		return;
	parse_number_after(line, "RFC822.SIZE ", &m.size);
	const char *flags = strstr(line, "FLAGS (");
	if (flags) {
		const char *end = strchr(flags, ')');
		g_autofree char *list = g_ascii_strdown(flags, end ? end - flags : -1);
		m.seen = strstr(list, "\\seen") != NULL;
	}
	const char *date = strstr(line, "INTERNALDATE \"");
	if (date)
		m.internaldate = imap_parse_internaldate(date + 14);
	g_array_append_val(out, m);
}

/* "1,3:5,9" for sorted UIDS[FROM..TO). */
static char *uid_set(GArray *uids, guint from, guint to)
{
	GString *set = g_string_new(NULL);
	for (guint i = from; i < to;) {
		gint64 start = g_array_index(uids, gint64, i);
		guint j = i;
		while (j + 1 < to && g_array_index(uids, gint64, j + 1) == g_array_index(uids, gint64, j) + 1)
			j++;
		gint64 end = g_array_index(uids, gint64, j);
		if (set->len)
			g_string_append_c(set, ',');
		if (end > start)
			g_string_append_printf(set, "%" G_GINT64_FORMAT ":%" G_GINT64_FORMAT, start, end);
		else
			g_string_append_printf(set, "%" G_GINT64_FORMAT, start);
		i = j + 1;
	}
	return g_string_free(set, FALSE);
}

GArray *imap_fetch_meta(struct imap *im, GArray *uids, GError **error)
{
	g_autoptr(GArray) out = g_array_new(FALSE, FALSE, sizeof(struct imap_meta));
	for (guint i = 0; i < uids->len; i += META_BATCH) {
		guint to = MIN(i + META_BATCH, uids->len);
		g_autofree char *set = uid_set(uids, i, to);
		g_autofree char *cmd =
			g_strdup_printf("UID FETCH %s (UID RFC822.SIZE FLAGS INTERNALDATE)", set);
		if (!perform(im, im->mailbox_url, cmd, error))
			return NULL;
		g_auto(GStrv) lines = g_strsplit(im->response->str, "\n", -1);
		for (char **l = lines; *l; l++)
			parse_meta_line(*l, out);
	}
	return g_steal_pointer(&out);
}

gboolean imap_fetch(struct imap *im, gint64 uidvalidity, gint64 uid, gboolean header_only,
		    int fd, gint64 limit, GError **error)
{
	g_autofree char *url = g_strdup_printf("%s;UIDVALIDITY=%" G_GINT64_FORMAT
					       ";UID=%" G_GINT64_FORMAT "%s",
					       im->mailbox_url, uidvalidity, uid,
					       header_only ? ";SECTION=HEADER" : "");
	im->sink_fd = fd;
	im->limit = limit;
	im->too_big = FALSE;
	im->write_errno = 0;
	gboolean ok = perform(im, url, NULL, error);
	im->sink_fd = -1;
	if (im->too_big) {
		g_clear_error(error);
		g_set_error(error, OV_ERROR, OV_ERROR_TOO_BIG,
			    "UID %" G_GINT64_FORMAT " is larger than %" G_GINT64_FORMAT " bytes",
			    uid, limit);
		return FALSE;
	}
	if (im->write_errno) {
		g_clear_error(error);
		g_set_error(error, OV_ERROR, OV_ERROR_STORE, "cannot write the spool file: %s",
			    g_strerror(im->write_errno));
		return FALSE;
	}
	if (ok && im->written == 0) {
		g_set_error(error, OV_ERROR, OV_ERROR_NOT_FOUND,
			    "UID %" G_GINT64_FORMAT " is no longer in %s", uid, im->mailbox);
		return FALSE;
	}
	return ok;
}

gboolean imap_set_seen(struct imap *im, gint64 uid, gboolean seen, GError **error)
{
	g_autofree char *cmd = g_strdup_printf("UID STORE %" G_GINT64_FORMAT " %cFLAGS.SILENT (\\Seen)",
					       uid, seen ? '+' : '-');
	return perform(im, im->mailbox_url, cmd, error);
}

static gboolean load_capabilities(struct imap *im, GError **error)
{
	if (im->caps_known)
		return TRUE;
	if (!perform(im, im->base, "CAPABILITY", error))
		return FALSE;
	g_autofree char *caps = g_ascii_strup(im->response->str, -1);
	im->has_move = strstr(caps, " MOVE") != NULL;
	im->has_uidplus = strstr(caps, " UIDPLUS") != NULL;
	im->caps_known = TRUE;
	return TRUE;
}

static gboolean ensure_folder(struct imap *im, const char *quoted, const char *folder,
			      GError **error)
{
	if (g_hash_table_contains(im->known_folders, folder))
		return TRUE;
	g_autofree char *list = g_strdup_printf("LIST \"\" %s", quoted);
	if (!perform(im, im->base, list, error))
		return FALSE;
	if (!strstr(im->response->str, "* LIST")) {
		g_autofree char *create = g_strdup_printf("CREATE %s", quoted);
		if (!perform(im, im->base, create, error))
			return FALSE;
		log_notice("created IMAP folder %s for filed mail", folder);
	}
	g_hash_table_add(im->known_folders, g_strdup(folder));
	return TRUE;
}

gboolean imap_move(struct imap *im, gint64 uid, const char *folder, GError **error)
{
	g_autofree char *quoted = quote_mailbox(folder);
	if (!load_capabilities(im, error) || !ensure_folder(im, quoted, folder, error))
		return FALSE;
	if (im->has_move) {
		g_autofree char *cmd = g_strdup_printf("UID MOVE %" G_GINT64_FORMAT " %s", uid, quoted);
		return perform(im, im->mailbox_url, cmd, error);
	}
	g_autofree char *copy = g_strdup_printf("UID COPY %" G_GINT64_FORMAT " %s", uid, quoted);
	g_autofree char *del = g_strdup_printf("UID STORE %" G_GINT64_FORMAT " +FLAGS.SILENT (\\Deleted)", uid);
	if (!perform(im, im->mailbox_url, copy, error) || !perform(im, im->mailbox_url, del, error))
		return FALSE;
	if (!im->has_uidplus)
		return TRUE; /* a plain EXPUNGE would remove other people's deleted mail too */
	g_autofree char *expunge = g_strdup_printf("UID EXPUNGE %" G_GINT64_FORMAT, uid);
	return perform(im, im->mailbox_url, expunge, error);
}
