/* Charset conversion with a fallback chain that never yields invalid UTF-8, and an HTML
 * to text renderer over libxml2's forgiving HTML parser. */
#include "text.h"

#include <gmime/gmime.h>
#include <libxml/HTMLparser.h>
#include <string.h>

/* Code points of windows-1252 bytes 0x80..0x9F; 0 where the byte is undefined. */
static const gunichar cp1252_high[32] = {
	0x20AC, 0,	0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
	0x2039, 0x0152, 0,	0x017D, 0,	0,	0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
	0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,	0x017E, 0x0178,
};

char *text_from_windows1252(const char *bytes, gsize len)
{
	GString *out = g_string_sized_new(len + len / 4);
	for (gsize i = 0; i < len; i++) {
		guchar c = (guchar)bytes[i];
		if (c == 0)
			continue;
		gunichar u = c;
		if (c >= 0x80 && c <= 0x9f)
			u = cp1252_high[c - 0x80] ? cp1252_high[c - 0x80] : 0xFFFD;
		g_string_append_unichar(out, u);
	}
	return g_string_free(out, FALSE);
}

static gboolean has_eight_bit(const char *bytes, gsize len)
{
	for (gsize i = 0; i < len; i++)
		if ((guchar)bytes[i] & 0x80)
			return TRUE;
	return FALSE;
}

/* Charsets whose text is often really UTF-8 when the bytes say so. */
static gboolean is_latin_label(const char *iconv_name)
{
	static const char *const labels[] = {"us-ascii", "ascii", "ansi_x3.4-1968",
					     "iso-8859-1", "iso8859-1", "latin1",
					     "cp1252", "windows-1252", NULL};
	for (const char *const *l = labels; *l; l++)
		if (!g_ascii_strcasecmp(iconv_name, *l))
			return TRUE;
	return FALSE;
}

static char *drop_nul(const char *bytes, gsize len)
{
	char *out = g_malloc(len + 1);
	gsize n = 0;
	for (gsize i = 0; i < len; i++)
		if (bytes[i])
			out[n++] = bytes[i];
	out[n] = '\0';
	return out;
}

/* Converts with iconv; NULL unless every byte converted into valid UTF-8. */
static char *convert_declared(const char *bytes, gsize len, const char *charset)
{
	const char *iconv_name = g_mime_charset_iconv_name(charset);
	if (!iconv_name)
		return NULL;
	if (is_latin_label(iconv_name) && has_eight_bit(bytes, len) &&
	    g_utf8_validate(bytes, len, NULL))
		return NULL; /* mislabelled UTF-8: the caller's fallback takes it */
	if (is_latin_label(iconv_name) && g_ascii_strcasecmp(iconv_name, "us-ascii") &&
	    g_ascii_strcasecmp(iconv_name, "ascii") && g_ascii_strcasecmp(iconv_name, "ansi_x3.4-1968"))
		return text_from_windows1252(bytes, len);
	gsize written = 0;
	char *out = g_convert(bytes, len, "UTF-8", iconv_name, NULL, &written, NULL);
	if (out && !g_utf8_validate(out, written, NULL))
		g_clear_pointer(&out, g_free);
	if (out && memchr(out, '\0', written)) {
		char *clean = drop_nul(out, written);
		g_free(out);
		out = clean;
	}
	return out;
}

char *text_to_utf8(const char *bytes, gsize len, const char *charset)
{
	if (!bytes)
		return g_strdup("");
	if (charset && *charset) {
		char *out = convert_declared(bytes, len, charset);
		if (out)
			return out;
	}
	if (g_utf8_validate(bytes, len, NULL))
		return drop_nul(bytes, len);
	return text_from_windows1252(bytes, len);
}

char *text_tidy(char *text)
{
	char *w = text;
	for (const char *r = text; *r; r++) {
		if (*r == '\r') {
			*w++ = '\n';
			if (r[1] == '\n')
				r++;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
	/* Trailing spaces per line. */
	GString *out = g_string_sized_new(w - text);
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	int blank_run = 0;
	for (char **l = lines; *l; l++) {
		g_strchomp(*l);
		blank_run = **l ? 0 : blank_run + 1;
		if (blank_run > 1)
			continue; /* at most one empty line in a row */
		g_string_append(out, *l);
		if (l[1])
			g_string_append_c(out, '\n');
	}
	while (out->len && out->str[out->len - 1] == '\n')
		g_string_truncate(out, out->len - 1);
	strcpy(text, out->str);
	g_string_free(out, TRUE);
	return text;
}

/* ---- HTML to text ---- */

struct html_out {
	GString *text;
	int pending_breaks; /* newlines owed before the next text */
	gboolean at_line_start;
};

static gboolean name_is(const xmlNode *node, const char *name)
{
	return node->name && !g_ascii_strcasecmp((const char *)node->name, name);
}

static gboolean name_in(const xmlNode *node, const char *const *names)
{
	for (const char *const *n = names; *n; n++)
		if (name_is(node, *n))
			return TRUE;
	return FALSE;
}

static const char *const skipped_elements[] = {"script", "style", "head", "title", "template",
					       "noscript", "object", "svg", NULL};
static const char *const block_elements[] = {
	"p",	  "div",  "h1", "h2", "h3",	 "h4",	"h5",	  "h6",	     "ul",
	"ol",	  "table", "tr", "blockquote", "pre", "address", "section", "article",
	"header", "footer", "form", "fieldset", "dl", "dt", "dd", "hr", "center", NULL};

static void want_breaks(struct html_out *o, int n)
{
	if (o->text->len && o->pending_breaks < n)
		o->pending_breaks = n;
}

static void trim_trailing_spaces(GString *s)
{
	while (s->len && s->str[s->len - 1] == ' ')
		g_string_truncate(s, s->len - 1);
}

static void flush_breaks(struct html_out *o)
{
	if (!o->pending_breaks)
		return;
	trim_trailing_spaces(o->text);
	for (int b = 0; b < o->pending_breaks; b++)
		g_string_append_c(o->text, '\n');
	o->pending_breaks = 0;
	o->at_line_start = TRUE;
}

/* Appends text, collapsing runs of white space as a browser does. */
static void emit_text(struct html_out *o, const char *s, gsize len)
{
	for (gsize i = 0; i < len; i++) {
		if (g_ascii_isspace(s[i])) {
			if (!o->at_line_start && o->text->str[o->text->len - 1] != ' ')
				g_string_append_c(o->text, ' ');
			continue;
		}
		flush_breaks(o);
		g_string_append_c(o->text, s[i]);
		o->at_line_start = FALSE;
	}
}

static void emit_literal(struct html_out *o, const char *s)
{
	flush_breaks(o);
	g_string_append(o->text, s);
	o->at_line_start = FALSE;
}

static void emit_line_break(struct html_out *o)
{
	flush_breaks(o);
	trim_trailing_spaces(o->text);
	g_string_append_c(o->text, '\n');
	o->at_line_start = TRUE;
}

static char *node_text(const xmlNode *node)
{
	xmlChar *content = xmlNodeGetContent(node);
	char *text = g_strdup(content ? (const char *)content : "");
	xmlFree(content);
	return g_strstrip(text);
}

static void render_children(struct html_out *o, const xmlNode *node);

static void render_link(struct html_out *o, const xmlNode *node)
{
	xmlChar *href = xmlGetProp(node, (const xmlChar *)"href");
	render_children(o, node);
	if (href) {
		const char *url = (const char *)href;
		const char *shown = g_str_has_prefix(url, "mailto:") ? url + 7 : url;
		g_autofree char *label = node_text(node);
		gboolean useful = g_str_has_prefix(url, "http") || g_str_has_prefix(url, "mailto:");
		if (useful && !strstr(label, shown)) {
			g_autofree char *suffix = g_strdup_printf(" <%s>", shown);
			emit_literal(o, suffix);
		}
		xmlFree(href);
	}
}

static void render_element(struct html_out *o, const xmlNode *node)
{
	if (name_in(node, skipped_elements))
		return;
	if (name_is(node, "br")) {
		emit_line_break(o);
		return;
	}
	if (name_is(node, "a")) {
		render_link(o, node);
		return;
	}
	if (name_is(node, "li")) {
		want_breaks(o, 1);
		emit_literal(o, "- ");
		o->at_line_start = TRUE;
		render_children(o, node);
		want_breaks(o, 1);
		return;
	}
	if (name_is(node, "td") || name_is(node, "th")) {
		if (node->prev && !o->at_line_start)
			emit_literal(o, "\t");
		render_children(o, node);
		return;
	}
	gboolean block = name_in(node, block_elements);
	int gap = (name_is(node, "p") || node->name[0] == 'h' || name_is(node, "blockquote")) ? 2 : 1;
	if (name_is(node, "tr") || name_is(node, "div") || name_is(node, "dt") || name_is(node, "dd"))
		gap = 1;
	if (block)
		want_breaks(o, gap);
	render_children(o, node);
	if (block)
		want_breaks(o, gap);
}

static void render_children(struct html_out *o, const xmlNode *node)
{
	for (const xmlNode *c = node->children; c; c = c->next) {
		if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
			const char *s = (const char *)c->content;
			if (s)
				emit_text(o, s, strlen(s));
		} else if (c->type == XML_ELEMENT_NODE) {
			render_element(o, c);
		}
	}
}

char *text_from_html(const char *html, gsize len)
{
	if (!html || !len)
		return g_strdup("");
	g_autofree char *valid = NULL;
	if (!g_utf8_validate(html, len, NULL)) {
		valid = text_to_utf8(html, len, NULL);
		html = valid;
		len = strlen(valid);
	}
	int options = HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
		      HTML_PARSE_NONET;
	htmlDocPtr doc = htmlReadMemory(html, (int)MIN(len, (gsize)G_MAXINT), NULL, "UTF-8",
					options);
	if (!doc)
		return g_strdup("");
	struct html_out o = {.text = g_string_new(NULL), .at_line_start = TRUE};
	render_children(&o, (const xmlNode *)doc);
	xmlFreeDoc(doc);
	char *text = g_string_free(o.text, FALSE);
	if (!g_utf8_validate(text, -1, NULL)) { /* libxml2 recovering from odd input */
		char *made = g_utf8_make_valid(text, -1);
		g_free(text);
		text = made;
	}
	return text_tidy(g_strstrip(text));
}

/* Appends LINE to OUT, broken into pieces of at most WIDTH characters. */
static void wrap_line(GString *out, const char *line, gsize width)
{
	gsize indent = (g_str_has_prefix(line, "- ") || g_str_has_prefix(line, "* ")) ? 2 : 0;
	const char *p = line;
	gsize lead = 0; /* indentation of the piece being written */
	while (g_utf8_strlen(p, -1) + lead > width) {
		const char *cut = NULL;
		gsize chars = lead;
		for (const char *q = p; *q && chars <= width; q = g_utf8_next_char(q), chars++)
			if (*q == ' ' && q > p)
				cut = q;
		if (!cut) /* one long word: keep it whole */
			cut = strchr(p, ' ');
		if (!cut)
			break;
		g_string_append_len(out, p, cut - p);
		g_string_append_c(out, '\n');
		for (gsize i = 0; i < indent; i++)
			g_string_append_c(out, ' ');
		lead = indent;
		p = cut;
		while (*p == ' ')
			p++;
	}
	g_string_append(out, p);
}

char *text_wrap(const char *text, gsize width)
{
	GString *out = g_string_new(NULL);
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	for (char **l = lines; *l; l++) {
		wrap_line(out, *l, width);
		if (l[1])
			g_string_append_c(out, '\n');
	}
	return g_string_free(out, FALSE);
}

/* ---- format=flowed ---- */

static guint quote_depth(const char *line)
{
	guint d = 0;
	while (line[d] == '>')
		d++;
	return d;
}

char *text_unflow(const char *text, gboolean delsp)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	GString *out = g_string_new(NULL);
	gboolean joining = FALSE; /* the previous line was flowed into this one */
	for (char **l = lines; *l; l++) {
		char *line = *l;
		gsize len = strlen(line);
		if (len && line[len - 1] == '\r')
			line[--len] = '\0';
		guint depth = quote_depth(line);
		const char *body = line + depth;
		if (*body == ' ' && depth) /* the space after the quote marks */
			body++;
		else if (!depth && *body == ' ') /* space-stuffed by the sender */
			body++;
		if (!joining) {
			for (guint i = 0; i < depth; i++)
				g_string_append_c(out, '>');
			if (depth)
				g_string_append_c(out, ' ');
		}
		gsize blen = strlen(body);
		gboolean flowed = blen && body[blen - 1] == ' ' && strcmp(body, "-- ") &&
				  l[1] && quote_depth(l[1]) == depth;
		g_string_append_len(out, body, flowed && delsp ? blen - 1 : blen);
		joining = flowed;
		if (!flowed && l[1])
			g_string_append_c(out, '\n');
	}
	return g_string_free(out, FALSE);
}

/* ---- quoted history ---- */

static GRegex *compiled(GRegex **slot, const char *pattern)
{
	if (!*slot)
		*slot = g_regex_new(pattern, G_REGEX_CASELESS | G_REGEX_OPTIMIZE, 0, NULL);
	return *slot;
}

/* "On Mon, 1 Jan 2026, Jane <j@x> wrote:" in several languages; LINE may be two lines
 * joined, as mail clients wrap long attributions. */
static gboolean is_attribution(const char *line)
{
	static GRegex *re;
	return g_regex_match(compiled(&re, "^\\s*(on|le|am|el|il|op|em|den|w dniu|dne) .{4,}"
					   "(wrote|a \\x{e9}crit|schrieb|escribi\\x{f3}|ha scritto|"
					   "schreef|escreveu|skrev|napisa\\x{142}|napsal)\\s?:\\s*$"),
			     line, 0, NULL);
}

gboolean text_is_original_message(const char *line)
{
	static GRegex *re;
	return g_regex_match(compiled(&re, "^\\s*-{2,}\\s*(original message|urspr\\x{fc}ngliche "
					   "nachricht|message d'origine|mensaje original|messaggio "
					   "originale|oorspronkelijk bericht)\\s*-{2,}\\s*$"),
			     line, 0, NULL);
}

gboolean text_is_forward_marker(const char *line)
{
	static GRegex *re;
	return g_regex_match(compiled(&re, "^\\s*(-{2,}|_{2,})?\\s*(forwarded message|begin "
					   "forwarded message|weitergeleitete nachricht|message "
					   "transf\\x{e9}r\\x{e9})"),
			     line, 0, NULL);
}

static gboolean starts_with_field(const char *line, const char *const *names)
{
	for (const char *const *n = names; *n; n++)
		if (!g_ascii_strncasecmp(line, *n, strlen(*n)))
			return TRUE;
	return FALSE;
}

/* An Outlook-style header block: From: followed within four lines by Sent:/Date: and
 * To:/Subject:. */
static gboolean is_header_block(char **lines, guint i, guint n)
{
	static const char *const from[] = {"From:", "Von:", "De:", "Da:", "Van:", "Fra:", NULL};
	static const char *const sent[] = {"Sent:", "Date:", "Gesendet:", "Envoy\xc3\xa9:",
					   "Enviado:", "Inviato:", "Verzonden:", "Sendt:", NULL};
	static const char *const to[] = {"To:", "Subject:", "An:", "Betreff:", "\xc3\x80:",
					 "Objet:", "Para:", "Asunto:", "A:", "Oggetto:", "Aan:", NULL};
	if (!starts_with_field(lines[i], from))
		return FALSE;
	gboolean have_sent = FALSE, have_to = FALSE;
	for (guint k = i + 1; k < n && k <= i + 4; k++) {
		have_sent |= starts_with_field(lines[k], sent);
		have_to |= starts_with_field(lines[k], to);
	}
	return have_sent && have_to;
}

static gboolean is_blank_line(const char *line)
{
	for (const char *p = line; *p; p++)
		if (!g_ascii_isspace(*p))
			return FALSE;
	return TRUE;
}

/* Quoted '>' lines from I to the end, with no answer among or after them (an answer
 * between quotes is an inline reply: the partner's words are spread through it). */
static gboolean quote_runs_to_end(char **lines, guint i, guint n)
{
	guint answers = 0;
	gboolean in_signature = FALSE;
	for (guint k = i; k < n; k++) {
		if (!strcmp(lines[k], "-- "))
			in_signature = TRUE;
		if (lines[k][0] != '>' && !is_blank_line(lines[k]) && !in_signature)
			answers++;
	}
	return answers == 0;
}

/* New text (not blank, not quoted) above line I. */
static gboolean has_text_before(char **lines, guint i)
{
	for (guint k = 0; k < i; k++)
		if (!is_blank_line(lines[k]) && lines[k][0] != '>')
			return TRUE;
	return FALSE;
}

gsize text_quote_start(const char *text)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	guint n = g_strv_length(lines);
	gsize offset = 0;
	gboolean forwarded = FALSE;
	for (guint i = 0; i < n; offset += strlen(lines[i]) + 1, i++) {
		const char *line = lines[i];
		if (text_is_forward_marker(line))
			forwarded = TRUE; /* what follows is the forwarded message, not a quote */
		if (forwarded || !has_text_before(lines, i))
			continue;
		g_autofree char *two = i + 1 < n ? g_strconcat(line, " ", lines[i + 1], NULL) : NULL;
		gboolean starts = is_attribution(line) ||
				  (two && !is_blank_line(line) && !is_blank_line(lines[i + 1]) &&
				   is_attribution(two));
		if (starts || text_is_original_message(line) || is_header_block(lines, i, n) ||
		    (g_str_has_prefix(line, "_____") && i + 1 < n &&
		     is_header_block(lines, i + 1, n)) ||
		    (line[0] == '>' && quote_runs_to_end(lines, i, n)))
			return offset;
	}
	return strlen(text);
}
