/* JSON output. Commas are placed by tracking, per nesting depth, whether the current
 * container already holds an item. */
#include "json.h"

#include <string.h>

void json_init(struct json *j)
{
	memset(j, 0, sizeof *j);
	j->out = g_string_new(NULL);
}

char *json_finish(struct json *j)
{
	g_string_append_c(j->out, '\n');
	return g_string_free(j->out, FALSE);
}

static void before_value(struct json *j)
{
	if (j->after_key) {
		j->after_key = FALSE;
		return;
	}
	if (j->depth > 0 && (j->has_items & (1ull << j->depth)))
		g_string_append_c(j->out, ',');
	j->has_items |= 1ull << j->depth;
}

static void open_container(struct json *j, char c)
{
	before_value(j);
	g_string_append_c(j->out, c);
	j->depth++;
	j->has_items &= ~(1ull << j->depth);
}

static void close_container(struct json *j, char c)
{
	j->depth--;
	g_string_append_c(j->out, c);
}

void json_begin_object(struct json *j)
{
	open_container(j, '{');
}

void json_end_object(struct json *j)
{
	close_container(j, '}');
}

void json_begin_array(struct json *j)
{
	open_container(j, '[');
}

void json_end_array(struct json *j)
{
	close_container(j, ']');
}

static void append_quoted(GString *out, const char *s)
{
	g_string_append_c(out, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			g_string_append(out, "\\\"");
			break;
		case '\\':
			g_string_append(out, "\\\\");
			break;
		case '\n':
			g_string_append(out, "\\n");
			break;
		case '\r':
			g_string_append(out, "\\r");
			break;
		case '\t':
			g_string_append(out, "\\t");
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				g_string_append_printf(out, "\\u%04x", *p);
			else
				g_string_append_c(out, (char)*p);
		}
	}
	g_string_append_c(out, '"');
}

char *json_quote(const char *value)
{
	GString *out = g_string_new(NULL);
	append_quoted(out, value ? value : "");
	return g_string_free(out, FALSE);
}

void json_key(struct json *j, const char *key)
{
	before_value(j);
	append_quoted(j->out, key);
	g_string_append_c(j->out, ':');
	j->after_key = TRUE;
}

void json_string(struct json *j, const char *value)
{
	before_value(j);
	if (!value) {
		g_string_append(j->out, "null");
		return;
	}
	if (!g_utf8_validate(value, -1, NULL)) {
		g_autofree char *valid = g_utf8_make_valid(value, -1);
		append_quoted(j->out, valid);
		return;
	}
	append_quoted(j->out, value);
}

void json_int(struct json *j, gint64 value)
{
	before_value(j);
	g_string_append_printf(j->out, "%" G_GINT64_FORMAT, value);
}

void json_bool(struct json *j, gboolean value)
{
	before_value(j);
	g_string_append(j->out, value ? "true" : "false");
}

void json_null(struct json *j)
{
	before_value(j);
	g_string_append(j->out, "null");
}

char *json_format_time(gint64 unix_seconds)
{
	g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(unix_seconds);
	return dt ? g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ") : g_strdup("");
}

void json_time(struct json *j, gint64 unix_seconds)
{
	if (!unix_seconds) {
		json_null(j);
		return;
	}
	g_autofree char *text = json_format_time(unix_seconds);
	json_string(j, text);
}

void json_raw(struct json *j, const char *json_text)
{
	before_value(j);
	g_string_append(j->out, json_text && *json_text ? json_text : "null");
}

void json_list(struct json *j, const char *comma_separated)
{
	json_begin_array(j);
	g_auto(GStrv) items = g_strsplit(comma_separated ? comma_separated : "", ",", -1);
	for (char **i = items; *i; i++)
		if (*g_strstrip(*i))
			json_string(j, *i);
	json_end_array(j);
}

void json_member_string(struct json *j, const char *key, const char *value)
{
	json_key(j, key);
	json_string(j, value);
}

void json_member_int(struct json *j, const char *key, gint64 value)
{
	json_key(j, key);
	json_int(j, value);
}

void json_member_bool(struct json *j, const char *key, gboolean value)
{
	json_key(j, key);
	json_bool(j, value);
}

void json_member_time(struct json *j, const char *key, gint64 unix_seconds)
{
	json_key(j, key);
	json_time(j, unix_seconds);
}
