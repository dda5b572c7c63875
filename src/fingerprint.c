/* Computes message fingerprints: the header section without trace fields, then the
 * body, both with CRLF turned into LF, through one SHA-256. */
#include "fingerprint.h"

#include "error.h"

#include <errno.h>
#include <string.h>

static const char *const trace_headers[] = {
	"received",	"return-path",	 "delivered-to",  "x-original-to",
	"x-delivered-to", "authentication-results", "arc-authentication-results",
	"arc-message-signature", "arc-seal", "received-spf", "x-received",
	"x-envelope-from", "x-envelope-to", "x-forwarded-to", "x-forwarded-for",
	"x-sieve",	"x-sieve-redirected-from", NULL,
};

/* Filters that stamp every copy differently also count as trace. */
static const char *const trace_prefixes[] = {"x-spam-", "x-virus-", "x-rspamd-", "x-ms-exchange-organization-", NULL};

gboolean fingerprint_is_trace_header(const char *name, gsize len)
{
	for (const char *const *t = trace_headers; *t; t++)
		if (strlen(*t) == len && !g_ascii_strncasecmp(name, *t, len))
			return TRUE;
	for (const char *const *p = trace_prefixes; *p; p++) {
		gsize plen = strlen(*p);
		if (len > plen && !g_ascii_strncasecmp(name, *p, plen))
			return TRUE;
	}
	return FALSE;
}

/* Length of LINE without a trailing CR LF / LF, plus the LF we hash in its place. */
static void hash_line(GChecksum *sum, const char *line, gssize len)
{
	gboolean has_lf = len > 0 && line[len - 1] == '\n';
	if (has_lf)
		len--;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	g_checksum_update(sum, (const guchar *)line, len);
	if (has_lf)
		g_checksum_update(sum, (const guchar *)"\n", 1);
}

static gboolean is_blank(const char *line, gssize len)
{
	return (len == 1 && line[0] == '\n') || (len == 2 && line[0] == '\r' && line[1] == '\n');
}

/* The length of a header line's field name, or 0 when the line does not start a field. */
static gsize field_name_length(const char *line, gssize len)
{
	const char *colon = memchr(line, ':', len);
	if (!colon || colon == line)
		return 0;
	gsize n = colon - line;
	while (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\t'))
		n--;
	return n;
}

char *fingerprint_stream(FILE *in, GError **error)
{
	g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
	char *line = NULL;
	size_t cap = 0;
	gssize len;
	gboolean in_header = TRUE;
	gboolean skipping = FALSE; /* inside a trace field and its continuation lines */

	while ((len = getline(&line, &cap, in)) > 0) {
		if (in_header) {
			if (is_blank(line, len)) {
				in_header = FALSE;
			} else if (line[0] == ' ' || line[0] == '\t') {
				if (skipping)
					continue;
			} else {
				gsize n = field_name_length(line, len);
				skipping = n > 0 && fingerprint_is_trace_header(line, n);
				if (skipping)
					continue;
			}
		}
		hash_line(sum, line, len);
	}
	gboolean failed = ferror(in);
	int saved = errno;
	free(line);
	if (failed) {
		g_set_error(error, OV_ERROR, OV_ERROR_STORE, "cannot read message: %s",
			    g_strerror(saved));
		return NULL;
	}
	return g_strdup(g_checksum_get_string(sum));
}

char *fingerprint_file(const char *path, GError **error)
{
	FILE *in = fopen(path, "rbe");
	if (!in) {
		g_set_error(error, OV_ERROR, OV_ERROR_STORE, "cannot open %s: %s", path,
			    g_strerror(errno));
		return NULL;
	}
	char *hex = fingerprint_stream(in, error);
	fclose(in);
	return hex;
}
