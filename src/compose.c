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
	"reference", "hub_name",     "hub_address", "contact_name", "organisation",
	"org_type",  "applicant_email", "phone",    "website",	   "postcode",
	"area",	     "their_subject", "functions",  NULL};
static const char *const notify_placeholders[] = {
	"reference", "hub_name",     "hub_address", "contact_name", "organisation",
	"org_type",  "applicant_email", "phone",    "website",	   "postcode",
	"area",	     "their_subject", "functions",  "excerpt",	   NULL};
static const char *const digest_placeholders[] = {"hub_name", "count", "leads", "date", NULL};

void templates_free(struct templates *t)
{
	if (!t)
		return;
	g_free(t->ack_subject);
	g_free(t->ack_txt);
	g_free(t->ack_html);
	g_free(t->notify_subject);
	g_free(t->notify_txt);
	g_free(t->digest_subject);
	g_free(t->digest_txt);
	extract_rules_free(t->rules);
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
			       const char *const *placeholders, GError **error)
{
	g_autoptr(GHashTable) sample = g_hash_table_new(g_str_hash, g_str_equal);
	for (const char *const *p = placeholders; *p; p++)
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

/* Reads DIR/NAME into *OUT and checks it against PLACEHOLDERS. */
static gboolean load_one(const char *dir, const char *name, const char *const *placeholders,
			 char **out, GError **error)
{
	*out = read_template(dir, name, error);
	return *out && check_template(dir, name, *out, placeholders, error);
}

struct templates *templates_load(const char *dir, gboolean notifications, GError **error)
{
	g_autoptr(OvTemplates) t = g_new0(struct templates, 1);
	if (!load_one(dir, "ack.subject", ack_placeholders, &t->ack_subject, error) ||
	    !load_one(dir, "ack.txt", ack_placeholders, &t->ack_txt, error) ||
	    !load_one(dir, "ack.html", ack_placeholders, &t->ack_html, error))
		return NULL;
	if (notifications &&
	    (!load_one(dir, "notify.subject", notify_placeholders, &t->notify_subject, error) ||
	     !load_one(dir, "notify.txt", notify_placeholders, &t->notify_txt, error) ||
	     !load_one(dir, "digest.subject", digest_placeholders, &t->digest_subject, error) ||
	     !load_one(dir, "digest.txt", digest_placeholders, &t->digest_txt, error)))
		return NULL;
	g_autofree char *rules = g_build_filename(dir, "extract.ini", NULL);
	if (!(t->rules = extract_rules_load(rules, error)))
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

/* "schools,inclusion" -> "work in schools and inclusion", for a sentence. */
static char *functions_in_words(const char *functions)
{
	static const char *const words[][2] = {
		{"partnerships", "partnerships"},
		{"schools", "work in schools"},
		{"progression", "progression and musical development"},
		{"inclusion", "inclusion"},
		{"sustainability", "sustainability"},
	};
	g_auto(GStrv) items = g_strsplit(functions ? functions : "", ",", -1);
	g_autoptr(GPtrArray) said = g_ptr_array_new();
	for (char **i = items; *i; i++)
		for (gsize k = 0; k < G_N_ELEMENTS(words); k++)
			if (!strcmp(*i, words[k][0]))
				g_ptr_array_add(said, (gpointer)words[k][1]);
	GString *out = g_string_new(NULL);
	for (guint i = 0; i < said->len; i++)
		g_string_append_printf(out, "%s%s", i == 0 ? "" : i + 1 == said->len ? " and " : ", ",
				       (const char *)said->pdata[i]);
	return g_string_free(out, FALSE);
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
	put(v, "org_type", fields->org_type);
	put(v, "applicant_email", fields->applicant_email);
	put(v, "phone", fields->phone);
	put(v, "website", fields->website);
	put(v, "postcode", fields->postcode);
	put(v, "area", fields->area);
	put(v, "their_subject", incoming ? incoming->subject : "");
	g_autofree char *functions = functions_in_words(fields->functions);
	put(v, "functions", functions);
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

/* What one outgoing mail says; compose_message() builds it. */
struct message_spec {
	const char *to_name;
	const char *to_addr;
	const char *reply_to_name; /* NULL: no Reply-To */
	const char *reply_to_addr;
	const char *subject;
	const char *text;
	const char *html;	   /* NULL: text/plain only */
	const struct mail *answering; /* threads under this mail, or NULL */
	const char *auto_submitted;   /* auto-replied for acks, auto-generated for the rest */
};

static GMimeObject *body_of(const struct message_spec *m)
{
	GMimeTextPart *plain = utf8_part("plain", m->text);
	if (!m->html)
		return GMIME_OBJECT(plain);
	GMimeMultipart *alt = g_mime_multipart_new_with_subtype("alternative");
	GMimeTextPart *rich = utf8_part("html", m->html);
	g_mime_multipart_add(alt, GMIME_OBJECT(plain));
	g_mime_multipart_add(alt, GMIME_OBJECT(rich));
	g_object_unref(plain);
	g_object_unref(rich);
	return GMIME_OBJECT(alt);
}

static struct outgoing *compose_message(const struct config *cfg, const struct message_spec *m)
{
	g_autoptr(OvOutgoing) out = g_new0(struct outgoing, 1);
	out->subject = header_clean(m->subject, 250);
	out->recipient = g_strdup(m->to_addr);
	out->envelope_from = g_strdup(cfg->smtp.null_sender ? "" : cfg->hub.address);
	out->message_id = ids_new_message_id(cfg->hub.domain);

	GMimeMessage *msg = g_mime_message_new(TRUE);
	g_autofree char *to_name = header_clean(m->to_name ? m->to_name : "", 100);
	g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_FROM, cfg->smtp.from_name,
				   cfg->smtp.from_address);
	g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_TO, to_name, out->recipient);
	if (m->reply_to_addr) {
		g_autofree char *name = header_clean(m->reply_to_name ? m->reply_to_name : "", 100);
		g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_REPLY_TO, name, m->reply_to_addr);
	}
	g_mime_message_set_subject(msg, out->subject, "utf-8");
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	g_mime_message_set_date(msg, now);
	g_mime_message_set_message_id(msg, out->message_id);
	if (m->answering && m->answering->message_id) {
		g_autofree char *irt = g_strdup_printf("<%s>", m->answering->message_id);
		g_autofree char *clean = header_clean(irt, 0);
		g_autofree char *refs = references_value(m->answering);
		g_mime_object_set_header(GMIME_OBJECT(msg), "In-Reply-To", clean, NULL);
		g_mime_object_set_header(GMIME_OBJECT(msg), "References", refs, NULL);
	}
	g_mime_object_set_header(GMIME_OBJECT(msg), "Auto-Submitted", m->auto_submitted, NULL);
	g_mime_object_set_header(GMIME_OBJECT(msg), "X-Auto-Response-Suppress", "All", NULL);
	GMimeObject *body = body_of(m);
	g_mime_message_set_mime_part(msg, body);
	g_object_unref(body);
	out->bytes = message_bytes(msg);
	g_object_unref(msg);
	return g_steal_pointer(&out);
}

/* SUBJECT with [REF] in it (added at the end when the template left it out). */
static char *subject_with_ref(const char *subject, const char *ref)
{
	g_autofree char *tag = g_strdup_printf("[%s]", ref);
	g_autofree char *clean = header_clean(subject, 250);
	return strstr(clean, tag) ? g_strdup(clean) : g_strdup_printf("%s %s", clean, tag);
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
	g_autofree char *full_subject = subject_with_ref(subject, ref);
	struct message_spec m = {.to_name = fields->contact_name, .to_addr = fields->applicant_email,
				 .subject = full_subject, .text = text, .html = html,
				 .answering = incoming, .auto_submitted = "auto-replied"};
	return compose_message(cfg, &m);
}

struct outgoing *compose_notification(const struct config *cfg, const struct templates *t,
				      const char *ref, const struct lead_fields *fields,
				      const struct mail *incoming, GError **error)
{
	g_autoptr(GHashTable) values = compose_ack_values(cfg, ref, fields, incoming);
	const char *body = incoming && incoming->text ? incoming->text : "";
	g_autofree char *excerpt = g_utf8_substring(body, 0, MIN(g_utf8_strlen(body, -1), 1200));
	g_hash_table_replace(values, g_strdup("excerpt"), g_strdup(excerpt));
	g_autofree char *subject = template_render(t->notify_subject, values, TEMPLATE_PLAIN, error);
	g_autofree char *raw_text = subject ? template_render(t->notify_txt, values, TEMPLATE_PLAIN, error) : NULL;
	g_autofree char *text = raw_text ? text_wrap(raw_text, TEXT_WIDTH) : NULL;
	if (!text)
		return NULL;
	g_autofree char *full_subject = subject_with_ref(subject, ref);
	/* A coordinator's reply goes to the partner, and carries the reference. */
	struct message_spec m = {.to_addr = cfg->notify.to,
				 .reply_to_name = fields->contact_name,
				 .reply_to_addr = fields->applicant_email,
				 .subject = full_subject, .text = text,
				 .auto_submitted = "auto-generated"};
	return compose_message(cfg, &m);
}

struct outgoing *compose_digest(const struct config *cfg, const struct templates *t,
				const char *list, guint count, GError **error)
{
	g_autoptr(GHashTable) values = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	g_autoptr(GDateTime) now = g_date_time_new_now_local();
	g_hash_table_insert(values, g_strdup("hub_name"), g_strdup(cfg->hub.name));
	g_hash_table_insert(values, g_strdup("count"), g_strdup_printf("%u", count));
	g_hash_table_insert(values, g_strdup("leads"), g_strdup(list));
	g_hash_table_insert(values, g_strdup("date"), g_date_time_format(now, "%A %e %B %Y"));
	g_autofree char *subject = template_render(t->digest_subject, values, TEMPLATE_PLAIN, error);
	g_autofree char *text = subject ? template_render(t->digest_txt, values, TEMPLATE_PLAIN, error) : NULL;
	if (!text)
		return NULL;
	struct message_spec m = {.to_addr = cfg->notify.to, .subject = subject, .text = text,
				 .auto_submitted = "auto-generated"};
	return compose_message(cfg, &m);
}
