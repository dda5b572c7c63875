/* Header decoding and cleaning. RFC 2047 encoded words are decoded here rather than by
 * GMime because Debian's GMime 3.2.13 drops all but the first of adjacent B-encoded
 * words (upstream #133); adjacent words in one charset are joined before conversion so
 * a character split across two words survives. */
#include "header.h"

#include "text.h"

#include <string.h>

static gboolean is_wsp(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Parses one encoded word at S. On success sets the charset (without an RFC 2231
 * language), appends the decoded bytes to BYTES and returns the length of the word. */
static gsize parse_encoded_word(const char *s, char **charset, GByteArray *bytes)
{
	if (s[0] != '=' || s[1] != '?')
		return 0;
	const char *cs = s + 2;
	const char *q1 = strchr(cs, '?');
	if (!q1 || q1 == cs || !q1[1] || q1[2] != '?')
		return 0;
	char enc = g_ascii_toupper(q1[1]);
	if (enc != 'B' && enc != 'Q')
		return 0;
	const char *text = q1 + 3;
	const char *end = strstr(text, "?=");
	if (!end)
		return 0;
	for (const char *p = cs; p < end; p++)
		if (is_wsp(*p))
			return 0;

	g_autofree char *name = g_strndup(cs, q1 - cs);
	char *star = strchr(name, '*');
	if (star)
		*star = '\0';
	if (enc == 'B') {
		g_autofree char *b64 = g_strndup(text, end - text);
		gsize n = 0;
		guchar *raw = g_base64_decode(b64, &n);
		g_byte_array_append(bytes, raw, n);
		g_free(raw);
	} else {
		for (const char *p = text; p < end; p++) {
			guint8 c = (guint8)*p;
			if (c == '_') {
				c = ' ';
			} else if (c == '=' && p + 2 < end && g_ascii_isxdigit(p[1]) &&
				   g_ascii_isxdigit(p[2])) {
				c = (guint8)(g_ascii_xdigit_value(p[1]) * 16 +
					     g_ascii_xdigit_value(p[2]));
				p += 2;
			}
			g_byte_array_append(bytes, &c, 1);
		}
	}
	*charset = g_steal_pointer(&name);
	return (end + 2) - s;
}

/* Converts the pending encoded bytes and appends them to OUT. */
static void flush_words(GString *out, GByteArray *bytes, char **charset)
{
	if (*charset) {
		g_autofree char *utf8 = text_to_utf8((const char *)bytes->data, bytes->len, *charset);
		g_string_append(out, utf8);
		g_clear_pointer(charset, g_free);
	}
	g_byte_array_set_size(bytes, 0);
}

static void append_plain(GString *out, const char *s, gsize len)
{
	g_autofree char *utf8 = text_to_utf8(s, len, NULL);
	g_string_append(out, utf8);
}

/* Replaces control characters with spaces, in place. */
static char *blank_controls(char *s)
{
	for (char *p = s; *p; p++)
		if ((guchar)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return s;
}

/* RAW without its line breaks: the CRLF of a folded line goes, the white space after
 * it stays (RFC 5322 unfolding). */
static char *unfold(const char *raw)
{
	GString *out = g_string_sized_new(strlen(raw));
	for (const char *c = raw; *c; c++)
		if (*c != '\r' && *c != '\n')
			g_string_append_c(out, *c);
	return g_string_free(out, FALSE);
}

char *header_decode(const char *folded)
{
	if (!folded)
		return NULL;
	g_autofree char *raw = unfold(folded);
	GString *out = g_string_new(NULL);
	g_autoptr(GByteArray) bytes = g_byte_array_new();
	char *charset = NULL; /* of the words in BYTES, not yet converted */
	const char *p = raw;
	const char *plain = raw; /* start of text not yet appended */

	while (*p) {
		g_autofree char *word_charset = NULL;
		g_autoptr(GByteArray) word = g_byte_array_new();
		gsize n = parse_encoded_word(p, &word_charset, word);
		if (!n) {
			p++;
			continue;
		}
		/* White space between two encoded words is not part of the text. */
		gboolean only_space = TRUE;
		for (const char *q = plain; q < p; q++)
			only_space &= is_wsp(*q);
		if (!(charset && only_space)) {
			flush_words(out, bytes, &charset);
			append_plain(out, plain, p - plain);
		}
		if (charset && g_ascii_strcasecmp(charset, word_charset))
			flush_words(out, bytes, &charset);
		if (!charset)
			charset = g_steal_pointer(&word_charset);
		g_byte_array_append(bytes, word->data, word->len);
		p += n;
		plain = p;
	}
	flush_words(out, bytes, &charset);
	append_plain(out, plain, p - plain);
	/* Line breaks decoded from an encoded word are not folding: they become spaces. */
	return g_strstrip(blank_controls(g_string_free(out, FALSE)));
}

char *header_clean(const char *value, gsize max_chars)
{
	GString *out = g_string_new(NULL);
	gsize chars = 0;
	gboolean space = FALSE;
	if (!g_utf8_validate(value ? value : "", -1, NULL))
		return g_string_free(out, FALSE);
	for (const char *p = value ? value : ""; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		if (c < 0x20 || c == 0x7f || g_unichar_isspace(c) || c == 0x2028 || c == 0x2029) {
			space = out->len > 0;
			continue;
		}
		if (max_chars && chars + (space ? 1 : 0) >= max_chars)
			break;
		if (space) {
			g_string_append_c(out, ' ');
			chars++;
			space = FALSE;
		}
		g_string_append_unichar(out, c);
		chars++;
	}
	return g_string_free(out, FALSE);
}

static void add_unique(GPtrArray *ids, char *id)
{
	for (guint i = 0; i < ids->len; i++)
		if (!strcmp(ids->pdata[i], id)) {
			g_free(id);
			return;
		}
	g_ptr_array_add(ids, id);
}

GPtrArray *header_message_ids(const char *value)
{
	GPtrArray *ids = g_ptr_array_new_with_free_func(g_free);
	if (!value)
		return ids;
	const char *p = value;
	gboolean bracketed = strchr(value, '<') != NULL;
	while (bracketed && (p = strchr(p, '<'))) {
		const char *end = strchr(p + 1, '>');
		if (!end)
			break;
		g_autofree char *id = g_strndup(p + 1, end - p - 1);
		char *clean = header_clean(g_strstrip(id), 0);
		if (*clean && !strchr(clean, ' '))
			add_unique(ids, clean);
		else
			g_free(clean);
		p = end + 1;
	}
	if (!bracketed) {
		/* Broken clients omit the brackets: take the words that look like ids. */
		g_auto(GStrv) words = g_strsplit_set(value, " \t\r\n,", -1);
		for (char **w = words; *w; w++)
			if (strchr(*w, '@'))
				add_unique(ids, header_clean(*w, 0));
	}
	return ids;
}

char *header_first_message_id(const char *value)
{
	g_autoptr(GPtrArray) ids = header_message_ids(value);
	return ids->len ? g_strdup(ids->pdata[0]) : NULL;
}

/* Index of the first '<' outside a quoted string, or -1. */
static gssize find_angle(const char *s)
{
	gboolean quoted = FALSE;
	for (gssize i = 0; s[i]; i++) {
		if (quoted && s[i] == '\\' && s[i + 1])
			i++;
		else if (s[i] == '"')
			quoted = !quoted;
		else if (!quoted && s[i] == '<')
			return i;
	}
	return -1;
}

static char *unquote(const char *s)
{
	gsize len = strlen(s);
	if (len >= 2 && ((s[0] == '"' && s[len - 1] == '"') || (s[0] == '\'' && s[len - 1] == '\''))) {
		GString *out = g_string_new(NULL);
		for (gsize i = 1; i + 1 < len; i++) {
			if (s[i] == '\\' && i + 2 < len)
				i++;
			g_string_append_c(out, s[i]);
		}
		return g_string_free(out, FALSE);
	}
	return g_strdup(s);
}

char *header_display_name(const char *raw)
{
	if (!raw)
		return NULL;
	g_autofree char *phrase = NULL;
	gssize angle = find_angle(raw);
	if (angle > 0) {
		phrase = g_strndup(raw, angle);
	} else if (angle < 0) {
		/* Old style: address (Full Name) */
		const char *open = strchr(raw, '(');
		const char *close = open ? strrchr(open, ')') : NULL;
		if (close)
			phrase = g_strndup(open + 1, close - open - 1);
	}
	if (!phrase)
		return NULL;
	g_strstrip(phrase);
	g_autofree char *unquoted = unquote(phrase);
	char *name = header_decode(unquoted);
	g_autofree char *again = unquote(name); /* quotes inside an encoded word */
	g_free(name);
	name = header_clean(again, 200);
	if (!*name || strchr(name, '@') == name) {
		g_free(name);
		return NULL;
	}
	return name;
}

char *header_angle_address(const char *value)
{
	gssize angle = value ? find_angle(value) : -1;
	const char *open = angle >= 0 ? value + angle : NULL;
	const char *close = open ? strchr(open, '>') : NULL;
	if (!close)
		return NULL;
	g_autofree char *inner = g_strndup(open + 1, close - open - 1);
	return header_clean(g_strstrip(inner), 0);
}

gboolean header_address_ok(const char *address)
{
	if (!address || strlen(address) > 254 || !g_utf8_validate(address, -1, NULL))
		return FALSE;
	const char *at = strrchr(address, '@');
	if (!at || at == address || !at[1] || strchr(at + 1, '.') == NULL)
		return FALSE;
	for (const char *p = address; *p; p++)
		if ((guchar)*p <= 0x20 || *p == 0x7f || strchr("<>()[]\\,;:\"", *p))
			return FALSE;
	return TRUE;
}
