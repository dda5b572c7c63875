/* Send stage over libcurl. The last reply line the server sent is kept from the header
 * callback: it is what we record and show ("550 5.1.1 <x@y>: Recipient address
 * rejected"). CURLINFO_RESPONSE_CODE is only trusted when curl says the server refused
 * something, since it is stale after a timeout (TECH-NOTES §2). */
#include "smtp.h"

#include "error.h"

#include <curl/curl.h>
#include <string.h>

struct smtp {
	CURL *curl;
	char *url;
	char errbuf[CURL_ERROR_SIZE];
	char *last_reply;   /* the last reply line (the final 250 after a send) */
	char *failure_reply; /* the last 4xx/5xx line: libcurl says QUIT after it */
	const guint8 *data; /* the message being sent */
	gsize len, offset;
};

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct smtp *s = userdata;
	size_t n = size * nmemb;
	if (n >= 3 && g_ascii_isdigit(ptr[0])) {
		g_free(s->last_reply);
		s->last_reply = g_strstrip(g_strndup(ptr, n));
		if (ptr[0] == '4' || ptr[0] == '5') {
			g_free(s->failure_reply);
			s->failure_reply = g_strdup(s->last_reply);
		}
	}
	return n;
}

static size_t discard(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	(void)ptr;
	(void)userdata;
	return size * nmemb;
}

static size_t on_read(char *buffer, size_t size, size_t nitems, void *userdata)
{
	struct smtp *s = userdata;
	size_t n = MIN(size * nitems, s->len - s->offset);
	memcpy(buffer, s->data + s->offset, n);
	s->offset += n;
	return n;
}

struct smtp *smtp_new(const struct config_smtp *cfg, GError **error)
{
	g_autoptr(OvSmtp) s = g_new0(struct smtp, 1);
	s->curl = curl_easy_init();
	if (!s->curl) {
		g_set_error(error, OV_ERROR, OV_ERROR_SMTP_TEMP, "cannot start libcurl");
		return NULL;
	}
	s->url = g_strdup(cfg->url);
	CURL *c = s->curl;
	curl_easy_setopt(c, CURLOPT_URL, cfg->url);
	if (g_str_has_prefix(cfg->url, "smtp:"))
		curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	if (cfg->user) {
		curl_easy_setopt(c, CURLOPT_USERNAME, cfg->user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, cfg->password);
	}
	if (cfg->ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, cfg->ca_file);
	curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_SERVER_RESPONSE_TIMEOUT, 300L);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
	curl_easy_setopt(c, CURLOPT_READDATA, s);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard); /* replies to NOOP */
	curl_easy_setopt(c, CURLOPT_HEADERDATA, s);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, s->errbuf);
	return g_steal_pointer(&s);
}

void smtp_free(struct smtp *s)
{
	if (!s)
		return;
	if (s->curl)
		curl_easy_cleanup(s->curl);
	g_free(s->url);
	g_free(s->last_reply);
	g_free(s->failure_reply);
	g_free(s);
}

static const char *words(const struct smtp *s, CURLcode rc)
{
	if (s->failure_reply)
		return s->failure_reply;
	return *s->errbuf ? s->errbuf : curl_easy_strerror(rc);
}

static gboolean classify_failure(struct smtp *s, CURLcode rc, GError **error)
{
	long code = 0;
	curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &code);
	gboolean refused = rc == CURLE_SEND_ERROR || rc == CURLE_WEIRD_SERVER_REPLY ||
			   rc == CURLE_LOGIN_DENIED;
	if (rc == CURLE_LOGIN_DENIED) {
		g_set_error(error, OV_ERROR, OV_ERROR_SMTP_CONFIG,
			    "the SMTP server %s refused our login (%s): check [smtp] user and "
			    "password_file",
			    s->url, words(s, rc));
		return FALSE;
	}
	if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE ||
	    rc == CURLE_SSL_CERTPROBLEM) {
		g_set_error(error, OV_ERROR, OV_ERROR_SMTP_CONFIG,
			    "the SMTP server %s has a certificate we do not trust (%s): if it "
			    "uses its own CA, name that CA's certificate in [smtp] ca_file",
			    s->url, s->errbuf);
		return FALSE;
	}
	if (rc == CURLE_USE_SSL_FAILED) {
		g_set_error(error, OV_ERROR, OV_ERROR_SMTP_CONFIG,
			    "the SMTP server %s does not offer STARTTLS: use an smtps:// URL",
			    s->url);
		return FALSE;
	}
	if (refused && code >= 500 && g_str_has_prefix(s->errbuf, "MAIL failed")) {
		g_set_error(error, OV_ERROR, OV_ERROR_SMTP_CONFIG,
			    "the SMTP server %s refused our sender address: %s", s->url,
			    words(s, rc));
		return FALSE;
	}
	if (refused && code >= 500 && code < 600) {
		g_set_error(error, OV_ERROR, OV_ERROR_SMTP_PERM, "%s", words(s, rc));
		return FALSE;
	}
	g_set_error(error, OV_ERROR, OV_ERROR_SMTP_TEMP, "%s", words(s, rc));
	return FALSE;
}

gboolean smtp_send(struct smtp *s, const char *envelope_from, const char *recipient,
		   GBytes *bytes, char **reply, GError **error)
{
	g_autofree char *from = g_strdup_printf("<%s>", envelope_from ? envelope_from : "");
	g_autofree char *to = g_strdup_printf("<%s>", recipient);
	struct curl_slist *rcpt = curl_slist_append(NULL, to);
	s->data = g_bytes_get_data(bytes, &s->len);
	s->offset = 0;
	s->errbuf[0] = '\0';
	g_clear_pointer(&s->last_reply, g_free);
	g_clear_pointer(&s->failure_reply, g_free);
	curl_easy_setopt(s->curl, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(s->curl, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(s->curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)s->len);
	CURLcode rc = curl_easy_perform(s->curl);
	curl_easy_setopt(s->curl, CURLOPT_MAIL_RCPT, NULL);
	curl_slist_free_all(rcpt);
	s->data = NULL;
	if (rc != CURLE_OK)
		return classify_failure(s, rc, error);
	if (reply)
		*reply = g_strdup(s->last_reply ? s->last_reply : "250");
	return TRUE;
}

gboolean smtp_check(struct smtp *s, GError **error)
{
	s->errbuf[0] = '\0';
	g_clear_pointer(&s->last_reply, g_free);
	g_clear_pointer(&s->failure_reply, g_free);
	curl_easy_setopt(s->curl, CURLOPT_UPLOAD, 0L);
	curl_easy_setopt(s->curl, CURLOPT_CUSTOMREQUEST, "NOOP");
	CURLcode rc = curl_easy_perform(s->curl);
	curl_easy_setopt(s->curl, CURLOPT_CUSTOMREQUEST, NULL);
	curl_easy_setopt(s->curl, CURLOPT_UPLOAD, 1L);
	return rc == CURLE_OK || classify_failure(s, rc, error);
}
