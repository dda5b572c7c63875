/* Builds outgoing mail. Every value that came from a mail is cleaned of control
 * characters before it reaches a header, and HTML-escaped in HTML bodies. */
#include "compose.h"

#include "error.h"
#include "header.h"
#include "ids.h"
#include "template.h"
#include "text.h"

#include <gmime/gmime.h>
#include <string.h>

#define MAX_REFERENCES 20
#define TEXT_WIDTH 72 /* plain-text lines are wrapped after the values are filled in */

static const char *const ack_placeholders[] = {
	"reference", "hub_name", "hub_address", "contact_name", "organisation",
	"applicant_email", "their_subject", "functions", NULL};

void templates_free(struct templates *t)
{
	if (!t)
		return;
	g_free(t->ack_subject);
	g_free(t->ack_txt);
	g_free(t->ack_html);
	g_free(t);
}

static char *read_template(const char *dir, const char *name, GError **error)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	char *text = NULL;
	gsize len = 0;
	GError *local = NULL;
	if (!g_file_get_contents(path, &text, &len, &local)) {
		g_set_error(error, OV_ERROR, OV_ERROR_CONFIG, "template %s: %s", path,
			    local->message);
		g_error_free(local);
		return NULL;
	}
	if (!g_utf8_validate(text, len, NULL) || strlen(text) != len) {
		g_set_error(error, OV_ERROR, OV_ERROR_CONFIG, "template %s is not UTF-8 text",
			    path);
		g_free(text);
		return NULL;
	}
	return text;
}

static gboolean check_template(const char *dir, const char *name, const char *text,
			       GError **error)
{
	g_autoptr(GHashTable) sample = g_hash_table_new(g_str_hash, g_str_equal);
	for (const char *const *p = ack_placeholders; *p; p++)
		g_hash_table_insert(sample, (char *)*p, (char *)"x");
	GError *local = NULL;
	g_autofree char *out = template_render(text, sample, TEMPLATE_PLAIN, &local);
	if (!out) {
		g_set_error(error, OV_ERROR, OV_ERROR_CONFIG, "template %s/%s: %s", dir, name,
			    local->message);
		g_error_free(local);
		return FALSE;
	}
	return TRUE;
}

struct templates *templates_load(const char *dir, GError **error)
{
	g_autoptr(OvTemplates) t = g_new0(struct templates, 1);
	if (!(t->ack_subject = read_template(dir, "ack.subject", error)) ||
	    !(t->ack_txt = read_template(dir, "ack.txt", error)) ||
	    !(t->ack_html = read_template(dir, "ack.html", error)))
		return NULL;
	if (!check_template(dir, "ack.subject", t->ack_subject, error) ||
	    !check_template(dir, "ack.txt", t->ack_txt, error) ||
	    !check_template(dir, "ack.html", t->ack_html, error))
		return NULL;
	return g_steal_pointer(&t);
}

void outgoing_free(struct outgoing *o)
{
	if (!o)
		return;
	g_free(o->message_id);
	g_free(o->recipient);
	g_free(o->envelope_from);
	g_free(o->subject);
	if (o->bytes)
		g_bytes_unref(o->bytes);
	g_free(o);
}

static void put(GHashTable *values, const char *name, const char *value)
{
	g_hash_table_replace(values, g_strdup(name), header_clean(value ? value : "", 300));
}

GHashTable *compose_ack_values(const struct config *cfg, const char *ref,
			       const struct lead_fields *fields, const struct mail *incoming)
{
	GHashTable *v = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	put(v, "reference", ref);
	put(v, "hub_name", cfg->hub.name);
	put(v, "hub_address", cfg->hub.address);
	put(v, "contact_name", fields->contact_name);
	put(v, "organisation", fields->organisation);
	put(v, "applicant_email", fields->applicant_email);
	put(v, "their_subject", incoming ? incoming->subject : "");
	g_autofree char *functions = g_strdup(fields->functions ? fields->functions : "");
	put(v, "functions", g_strdelimit(functions, ",", '/'));
	return v;
}

static GMimeTextPart *utf8_part(const char *subtype, const char *text)
{
	GMimeTextPart *part = g_mime_text_part_new_with_subtype(subtype);
	GMimeStream *mem = g_mime_stream_mem_new();
	g_mime_stream_write(mem, text, strlen(text));
	g_mime_stream_reset(mem);
	GMimeDataWrapper *content = g_mime_data_wrapper_new_with_stream(mem, GMIME_CONTENT_ENCODING_DEFAULT);
	g_object_unref(mem);
	g_mime_part_set_content(GMIME_PART(part), content);
	g_object_unref(content);
	g_mime_text_part_set_charset(part, "utf-8");
	return part;
}

/* "a b c" from the incoming mail's References and Message-ID, newest last. */
static char *references_value(const struct mail *incoming)
{
	g_autoptr(GPtrArray) ids = g_ptr_array_new();
	for (guint i = 0; i < incoming->references->len; i++)
		g_ptr_array_add(ids, incoming->references->pdata[i]);
	if (incoming->message_id)
		g_ptr_array_add(ids, incoming->message_id);
	GString *out = g_string_new(NULL);
	guint first = ids->len > MAX_REFERENCES ? ids->len - MAX_REFERENCES : 0;
	for (guint i = first; i < ids->len; i++) {
		g_autofree char *clean = header_clean(ids->pdata[i], 0);
		g_string_append_printf(out, "%s<%s>", out->len ? " " : "", clean);
	}
	return g_string_free(out, FALSE);
}

static GBytes *message_bytes(GMimeMessage *msg)
{
	g_mime_object_encode(GMIME_OBJECT(msg), GMIME_ENCODING_CONSTRAINT_7BIT);
	GMimeFormatOptions *fo = g_mime_format_options_clone(NULL);
	g_mime_format_options_set_newline_format(fo, GMIME_NEWLINE_FORMAT_DOS);
	GMimeStream *mem = g_mime_stream_mem_new();
	g_mime_object_write_to_stream(GMIME_OBJECT(msg), fo, mem);
	g_mime_format_options_free(fo);
	GByteArray *array = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	GBytes *bytes = g_bytes_new(array->data, array->len);
	g_object_unref(mem);
	return bytes;
}

struct outgoing *compose_ack(const struct config *cfg, const struct templates *t, const char *ref,
			     const struct lead_fields *fields, const struct mail *incoming,
			     GError **error)
{
	g_autoptr(GHashTable) values = compose_ack_values(cfg, ref, fields, incoming);
	g_autofree char *subject = template_render(t->ack_subject, values, TEMPLATE_PLAIN, error);
	g_autofree char *raw_text = subject ? template_render(t->ack_txt, values, TEMPLATE_PLAIN, error) : NULL;
	g_autofree char *text = raw_text ? text_wrap(raw_text, TEXT_WIDTH) : NULL;
	g_autofree char *html = text ? template_render(t->ack_html, values, TEMPLATE_HTML, error) : NULL;
	if (!html)
		return NULL;

	g_autoptr(OvOutgoing) out = g_new0(struct outgoing, 1);
	g_autofree char *tag = g_strdup_printf("[%s]", ref);
	g_autofree char *clean_subject = header_clean(subject, 250);
	out->subject = strstr(clean_subject, tag) ? g_strdup(clean_subject)
						  : g_strdup_printf("%s %s", clean_subject, tag);
	out->recipient = g_strdup(fields->applicant_email);
	out->envelope_from = g_strdup(cfg->smtp.null_sender ? "" : cfg->hub.address);
	out->message_id = ids_new_message_id(cfg->hub.domain);

	GMimeMessage *msg = g_mime_message_new(TRUE);
	g_autofree char *to_name = header_clean(fields->contact_name ? fields->contact_name : "", 100);
	g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_FROM, cfg->smtp.from_name,
				   cfg->smtp.from_address);
	g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_TO, to_name, out->recipient);
	g_mime_message_set_subject(msg, out->subject, "utf-8");
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	g_mime_message_set_date(msg, now);
	g_mime_message_set_message_id(msg, out->message_id);
	if (incoming && incoming->message_id) {
		g_autofree char *irt = g_strdup_printf("<%s>", incoming->message_id);
		g_autofree char *clean = header_clean(irt, 0);
		g_autofree char *refs = references_value(incoming);
		g_mime_object_set_header(GMIME_OBJECT(msg), "In-Reply-To", clean, NULL);
		g_mime_object_set_header(GMIME_OBJECT(msg), "References", refs, NULL);
	}
	g_mime_object_set_header(GMIME_OBJECT(msg), "Auto-Submitted", "auto-replied", NULL);
	g_mime_object_set_header(GMIME_OBJECT(msg), "X-Auto-Response-Suppress", "All", NULL);

	GMimeMultipart *alt = g_mime_multipart_new_with_subtype("alternative");
	GMimeTextPart *plain = utf8_part("plain", text);
	GMimeTextPart *rich = utf8_part("html", html);
	g_mime_multipart_add(alt, GMIME_OBJECT(plain));
	g_mime_multipart_add(alt, GMIME_OBJECT(rich));
	g_object_unref(plain);
	g_object_unref(rich);
	g_mime_message_set_mime_part(msg, GMIME_OBJECT(alt));
	g_object_unref(alt);
	out->bytes = message_bytes(msg);
	g_object_unref(msg);
	return g_steal_pointer(&out);
}
