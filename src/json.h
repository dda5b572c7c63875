/* A small streaming JSON writer for the --json output of the commands: objects, arrays,
 * strings (escaped per RFC 8259), numbers, booleans, null, and times as RFC 3339 UTC. */
#ifndef OVERTURE_JSON_H
#define OVERTURE_JSON_H

#include <glib.h>

struct json {
	GString *out;
	int depth;
	guint64 has_items; /* bit N: the container at depth N already has an item */
	gboolean after_key;
};

void json_init(struct json *j);
/* Returns the document and frees the writer (g_free the result). */
char *json_finish(struct json *j);

void json_begin_object(struct json *j);
void json_end_object(struct json *j);
void json_begin_array(struct json *j);
void json_end_array(struct json *j);
void json_key(struct json *j, const char *key);

void json_string(struct json *j, const char *value); /* NULL writes null */
void json_int(struct json *j, gint64 value);
void json_bool(struct json *j, gboolean value);
void json_null(struct json *j);
void json_time(struct json *j, gint64 unix_seconds); /* 0 writes null */
void json_raw(struct json *j, const char *json_text);  /* already valid JSON */
/* "a,b,c" as ["a","b","c"] ([] for NULL or ""). */
void json_list(struct json *j, const char *comma_separated);

/* Shorthands for "key": value. */
void json_member_string(struct json *j, const char *key, const char *value);
void json_member_int(struct json *j, const char *key, gint64 value);
void json_member_bool(struct json *j, const char *key, gboolean value);
void json_member_time(struct json *j, const char *key, gint64 unix_seconds);

/* VALUE quoted and escaped as a JSON string (g_free). */
char *json_quote(const char *value);

/* RFC 3339 UTC text for a Unix time (g_free), e.g. 2026-11-22T10:04:00Z. */
char *json_format_time(gint64 unix_seconds);

#endif
