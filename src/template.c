/* A small logic-less template renderer: placeholders, sections and inverted sections,
 * nested to any depth, with HTML escaping for HTML templates. */
#include "template.h"

#include "error.h"

#include <string.h>

struct render {
	GHashTable *vars;
	enum template_escape escape;
	GString *out;
	GError **error;
};

static gboolean bad(struct render *r, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static gboolean bad(struct render *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	g_autofree char *msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error_literal(r->error, OV_ERROR, OV_ERROR_CONFIG, msg);
	return FALSE;
}

/* The value of NAME, or NULL (with an error) when the caller never defined it. */
static const char *lookup(struct render *r, const char *name)
{
	const char *value = g_hash_table_lookup(r->vars, name);
	if (!value)
		bad(r, "unknown placeholder {{%s}}", name);
	return value;
}

static void append_value(struct render *r, const char *value)
{
	if (r->escape == TEMPLATE_HTML) {
		g_autofree char *escaped = g_markup_escape_text(value, -1);
		g_string_append(r->out, escaped);
	} else {
		g_string_append(r->out, value);
	}
}

/* Finds the {{/NAME}} that closes a section opened before P, honouring nesting of
 * sections with the same name. Returns its start, or NULL. */
static const char *find_close(const char *p, const char *name)
{
	g_autofree char *open1 = g_strdup_printf("{{#%s}}", name);
	g_autofree char *open2 = g_strdup_printf("{{^%s}}", name);
	g_autofree char *close = g_strdup_printf("{{/%s}}", name);
	int depth = 1;
	while (*p) {
		if (g_str_has_prefix(p, open1) || g_str_has_prefix(p, open2))
			depth++;
		else if (g_str_has_prefix(p, close) && --depth == 0)
			return p;
		p++;
	}
	return NULL;
}

static gboolean render_span(struct render *r, const char *p, const char *end);

static gboolean render_tag(struct render *r, const char **pp, const char *end)
{
	const char *p = *pp + 2;
	const char *close = strstr(p, "}}");
	if (!close || close > end)
		return bad(r, "a {{ without its }}");
	char kind = (*p == '#' || *p == '^' || *p == '/') ? *p++ : 0;
	g_autofree char *name = g_strstrip(g_strndup(p, close - p));
	if (!*name)
		return bad(r, "an empty {{}}");
	const char *value = lookup(r, name);
	if (!value)
		return FALSE;
	const char *after = close + 2;
	if (kind == '/')
		return bad(r, "{{/%s}} closes a section that was never opened", name);
	if (!kind) {
		append_value(r, value);
		*pp = after;
		return TRUE;
	}
	const char *section_end = find_close(after, name);
	if (!section_end || section_end > end)
		return bad(r, "section {{%c%s}} is never closed with {{/%s}}", kind, name, name);
	gboolean show = (kind == '#') == (*value != '\0');
	if (show && !render_span(r, after, section_end))
		return FALSE;
	if (!show) {
		/* Still check the hidden part, so every template error shows up at once. */
		GString *saved = r->out;
		r->out = g_string_new(NULL);
		gboolean ok = render_span(r, after, section_end);
		g_string_free(r->out, TRUE);
		r->out = saved;
		if (!ok)
			return FALSE;
	}
	*pp = section_end + strlen(name) + 5;
	return TRUE;
}

static gboolean render_span(struct render *r, const char *p, const char *end)
{
	while (p < end) {
		const char *tag = strstr(p, "{{");
		if (!tag || tag >= end) {
			g_string_append_len(r->out, p, end - p);
			return TRUE;
		}
		g_string_append_len(r->out, p, tag - p);
		p = tag;
		if (!render_tag(r, &p, end))
			return FALSE;
	}
	return TRUE;
}

char *template_render(const char *tmpl, GHashTable *vars, enum template_escape escape,
		      GError **error)
{
	struct render r = {.vars = vars, .escape = escape, .out = g_string_new(NULL), .error = error};
	if (!render_span(&r, tmpl, tmpl + strlen(tmpl))) {
		g_string_free(r.out, TRUE);
		return NULL;
	}
	return g_string_free(r.out, FALSE);
}
