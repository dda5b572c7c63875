/* Parse stage: GMime builds the MIME tree from the spooled file; we walk it ourselves
 * (GMime's iterator would enter forwarded messages) to pick the body the sender wrote,
 * list attachments, and note the messages enclosed in bounces and forwards. */
#include "mime.h"

#include "error.h"
#include "header.h"
#include "text.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <fcntl.h>
#include <gmime/gmime.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include <string.h>

#define MAIL_TEXT_MAX (1024 * 1024) /* body text kept for reading and search */

struct walk {
	struct mail *mail;
	GString *text;
	gboolean has_body;
	gboolean text_only; /* an attached message's text: its attachments are not listed */
	const struct mail_parse_options *options;
	int depth;   /* of attached messages, to bound recursion */
	int nesting; /* of multiparts, likewise */
};

#define MAX_MESSAGE_DEPTH 3
#define MAX_NESTING 64

static void header_free(gpointer p)
{
	struct mail_header *h = p;
	g_free(h->name);
	g_free(h->value);
	g_free(h);
}

static void attachment_free(gpointer p)
{
	struct mail_attachment *a = p;
	if (a->kept_tmp)
		g_unlink(a->kept_tmp);
	g_free(a->kept_tmp);
	g_free(a->stored);
	g_free(a->note);
	g_free(a->text);
	g_free(a->filename);
	g_free(a->content_type);
	g_free(a->sha256);
	g_free(a);
}

void mail_free(struct mail *mail)
{
	if (!mail)
		return;
	g_ptr_array_unref(mail->headers);
	g_free(mail->from_name);
	g_free(mail->from_addr);
	g_free(mail->reply_to_name);
	g_free(mail->reply_to_addr);
	g_free(mail->return_path);
	g_free(mail->subject);
	g_free(mail->message_id);
	g_ptr_array_unref(mail->in_reply_to);
	g_ptr_array_unref(mail->references);
	g_free(mail->mime_type);
	g_free(mail->report_type);
	g_free(mail->text);
	g_free(mail->quoted);
	g_ptr_array_unref(mail->attachments);
	g_ptr_array_unref(mail->enclosed_ids);
	g_free(mail->delivery_status);
	g_free(mail);
}

const char *mail_header(const struct mail *mail, const char *name)
{
	for (guint i = 0; i < mail->headers->len; i++) {
		const struct mail_header *h = mail->headers->pdata[i];
		if (!g_ascii_strcasecmp(h->name, name))
			return h->value;
	}
	return NULL;
}

const char *mail_reply_address(const struct mail *mail)
{
	return mail->reply_to_addr ? mail->reply_to_addr : mail->from_addr;
}

const char *mail_reply_name(const struct mail *mail)
{
	return mail->reply_to_addr ? mail->reply_to_name : mail->from_name;
}

/* Bytes to skip before the message: leading white space (blank lines, a line of
 * spaces, an indented first header) and an mbox "From " line. GMime finds no message
 * at all when the file starts with these. */
static gint64 leading_junk(const char *path)
{
	FILE *f = fopen(path, "rbe");
	if (!f)
		return 0;
	gint64 offset = 0;
	gboolean skipped_mbox = FALSE;
	int c;
	for (;;) {
		while ((c = getc(f)) == ' ' || c == '\t' || c == '\r' || c == '\n')
			offset++;
		if (c == EOF || skipped_mbox)
			break;
		char word[6] = {(char)c, 0};
		if (!fgets(word + 1, sizeof word - 1, f) || strcmp(word, "From "))
			break;
		/* An mbox separator: skip to the end of its line. */
		offset += strlen(word);
		while ((c = getc(f)) != EOF && c != '\n')
			offset++;
		offset += c == '\n';
		skipped_mbox = TRUE;
	}
	fclose(f);
	return offset;
}

static char *lower_address(const char *address)
{
	g_autofree char *clean = header_clean(address, 320);
	return g_utf8_strdown(clean, -1);
}

/* The first mailbox of an address header: lower-case address and display name. When the
 * raw header has an angle address (Name <a@b>), that is the address, whatever the name
 * holds: a malformed name (encoded words with ':' or '@' in them) must not turn into
 * the address we reply to. Otherwise GMime's parse of the list decides. */
static void first_mailbox(InternetAddressList *list, const char *raw, char **name, char **addr)
{
	g_autofree char *angle = raw ? header_angle_address(raw) : NULL;
	if (angle && strchr(angle, '@')) {
		*addr = lower_address(angle);
		*name = header_display_name(raw);
		return;
	}
	for (int i = 0; list && i < internet_address_list_length(list); i++) {
		InternetAddress *ia = internet_address_list_get_address(list, i);
		if (INTERNET_ADDRESS_IS_GROUP(ia)) {
			InternetAddressList *members =
				internet_address_group_get_members(INTERNET_ADDRESS_GROUP(ia));
			first_mailbox(members, NULL, name, addr);
		} else {
			const char *a = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia));
			if (!a || !strchr(a, '@'))
				continue;
			*addr = lower_address(a);
			*name = raw ? header_display_name(raw) : NULL;
			if (!*name && internet_address_get_name(ia))
				*name = header_clean(internet_address_get_name(ia), 200);
		}
		if (*addr)
			return;
	}
}

static void read_headers(GMimeMessage *msg, struct mail *mail)
{
	GMimeHeaderList *list = g_mime_object_get_header_list(GMIME_OBJECT(msg));
	int n = g_mime_header_list_get_count(list);
	for (int i = 0; i < n; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(list, i);
		struct mail_header *mh = g_new0(struct mail_header, 1);
		mh->name = header_clean(g_mime_header_get_name(h), 200);
		mh->value = header_decode(g_mime_header_get_raw_value(h));
		if (!mh->value)
			mh->value = g_strdup("");
		g_ptr_array_add(mail->headers, mh);
	}
}

static const char *raw_header(GMimeMessage *msg, const char *name)
{
	GMimeHeaderList *list = g_mime_object_get_header_list(GMIME_OBJECT(msg));
	GMimeHeader *h = g_mime_header_list_get_header(list, name);
	return h ? g_mime_header_get_raw_value(h) : NULL;
}

static void read_envelope(GMimeMessage *msg, struct mail *mail)
{
	first_mailbox(g_mime_message_get_from(msg), raw_header(msg, "From"), &mail->from_name,
		      &mail->from_addr);
	first_mailbox(g_mime_message_get_reply_to(msg), raw_header(msg, "Reply-To"),
		      &mail->reply_to_name, &mail->reply_to_addr);
	const char *rp = raw_header(msg, "Return-Path");
	if (rp)
		mail->return_path = header_angle_address(rp);
	if (rp && !mail->return_path)
		mail->return_path = header_clean(rp, 320);

	const char *subject = mail_header(mail, "Subject");
	mail->subject = header_clean(subject ? subject : "", 998);
	GDateTime *date = g_mime_message_get_date(msg);
	mail->date = date ? g_date_time_to_unix(date) : 0;
	mail->message_id = header_first_message_id(raw_header(msg, "Message-ID"));
	mail->in_reply_to = header_message_ids(raw_header(msg, "In-Reply-To"));
	mail->references = header_message_ids(raw_header(msg, "References"));
}

/* A stream of CONTENT with its transfer encoding undone (unref it). */
static GMimeStream *decoded_stream(GMimeDataWrapper *content)
{
	GMimeStream *raw = g_mime_data_wrapper_get_stream(content);
	g_mime_stream_reset(raw);
	GMimeStream *filtered = g_mime_stream_filter_new(raw);
	GMimeContentEncoding encoding = g_mime_data_wrapper_get_encoding(content);
	if (encoding == GMIME_CONTENT_ENCODING_BASE64 ||
	    encoding == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE ||
	    encoding == GMIME_CONTENT_ENCODING_UUENCODE) {
		GMimeFilter *decoder = g_mime_filter_basic_new(encoding, FALSE);
		g_mime_stream_filter_add(GMIME_STREAM_FILTER(filtered), decoder);
		g_object_unref(decoder);
	}
	return filtered;
}

/* A part's content, transfer-decoded, at most MAX bytes (the rest is read and dropped). */
static GByteArray *part_bytes(GMimePart *part, gsize max, gboolean *truncated)
{
	GByteArray *bytes = g_byte_array_new();
	GMimeDataWrapper *content = g_mime_part_get_content(part);
	*truncated = FALSE;
	if (!content)
		return bytes;
	GMimeStream *decoded = decoded_stream(content);
	char buf[8192];
	gssize n;
	while ((n = g_mime_stream_read(decoded, buf, sizeof buf)) > 0) {
		gsize room = max > bytes->len ? max - bytes->len : 0;
		g_byte_array_append(bytes, (guint8 *)buf, MIN((gsize)n, room));
		if ((gsize)n > room)
			*truncated = TRUE;
	}
	g_object_unref(decoded);
	return bytes;
}

static char *part_text(GMimePart *part, gboolean html)
{
	gboolean truncated;
	g_autoptr(GByteArray) bytes = part_bytes(part, MAIL_TEXT_MAX, &truncated);
	const char *charset = g_mime_object_get_content_type_parameter(GMIME_OBJECT(part), "charset");
	char *utf8 = text_to_utf8((const char *)bytes->data, bytes->len, charset);
	const char *format = g_mime_object_get_content_type_parameter(GMIME_OBJECT(part), "format");
	if (html) {
		char *plain = text_from_html(utf8, strlen(utf8));
		g_free(utf8);
		utf8 = plain;
	} else if (format && !g_ascii_strcasecmp(format, "flowed")) {
		const char *delsp = g_mime_object_get_content_type_parameter(GMIME_OBJECT(part), "delsp");
		char *unflowed = text_unflow(utf8, delsp && !g_ascii_strcasecmp(delsp, "yes"));
		g_free(utf8);
		utf8 = text_tidy(unflowed);
	} else {
		text_tidy(utf8);
	}
	if (truncated) {
		char *marked = g_strconcat(utf8, "\n[... text shortened by Overture]", NULL);
		g_free(utf8);
		utf8 = marked;
	}
	return utf8;
}

static gboolean is_type(GMimeObject *obj, const char *type, const char *subtype)
{
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	return ct && g_mime_content_type_is_type(ct, type, subtype);
}

static gboolean is_body_candidate(GMimeObject *obj)
{
	if (!GMIME_IS_PART(obj) || g_mime_part_is_attachment(GMIME_PART(obj)))
		return FALSE;
	if (g_mime_part_get_filename(GMIME_PART(obj)))
		return FALSE;
	return is_type(obj, "text", "plain") || is_type(obj, "text", "html");
}

static void add_body_text(struct walk *w, GMimeObject *obj)
{
	g_autofree char *text = part_text(GMIME_PART(obj), is_type(obj, "text", "html"));
	if (!*text)
		return;
	if (w->text->len)
		g_string_append(w->text, "\n\n");
	g_string_append(w->text, text);
	w->has_body = TRUE;
}

/* Runs WRITE (the part's decoded content, or the attached message) into a stream that
 * counts, hashes, and keeps the bytes in a temporary file when keeping is asked for. */
typedef gint64 (*content_writer)(GMimeObject *obj, GMimeStream *out);

static gint64 write_part(GMimeObject *obj, GMimeStream *out)
{
	GMimeDataWrapper *content = g_mime_part_get_content(GMIME_PART(obj));
	return content ? g_mime_data_wrapper_write_to_stream(content, out) : 0;
}

static gint64 write_message(GMimeObject *obj, GMimeStream *out)
{
	GMimeMessage *inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
	return inner ? g_mime_object_write_to_stream(GMIME_OBJECT(inner), NULL, out) : 0;
}

static void measure_content(struct walk *w, GMimeObject *obj, content_writer write,
			    struct mail_attachment *a)
{
	const struct mail_parse_options *o = w->options;
	g_autofree char *tmp = NULL;
	GMimeStream *sink = NULL;
	if (o && o->keep_dir) {
		tmp = g_build_filename(o->keep_dir, "att-XXXXXX", NULL);
		int fd = g_mkstemp_full(tmp, O_RDWR | O_CLOEXEC, 0660);
		if (fd >= 0)
			sink = g_mime_stream_fs_new(fd);
		else
			g_clear_pointer(&tmp, g_free);
	}
	if (!sink)
		sink = g_mime_stream_null_new();
	GMimeStream *filtered = g_mime_stream_filter_new(sink);
	GMimeFilter *sum = g_mime_filter_checksum_new(G_CHECKSUM_SHA256);
	g_mime_stream_filter_add(GMIME_STREAM_FILTER(filtered), sum);
	gint64 n = write(obj, filtered);
	g_mime_stream_flush(filtered);
	a->size = MAX(n, 0);
	a->sha256 = g_mime_filter_checksum_get_string(GMIME_FILTER_CHECKSUM(sum));
	g_object_unref(sum);
	g_object_unref(filtered);
	g_object_unref(sink);
	if (tmp && n >= 0 && a->size <= o->keep_max) {
		a->kept_tmp = g_steal_pointer(&tmp);
	} else if (tmp) {
		g_unlink(tmp);
		a->note = g_strdup_printf("larger than [store] max_attachment_size (%" G_GINT64_FORMAT
					  " bytes): not stored apart; the raw message holds it",
					  o->keep_max);
	}
}

static char *attachment_name(struct walk *w, GMimeObject *obj)
{
	const char *name = GMIME_IS_PART(obj) ? g_mime_part_get_filename(GMIME_PART(obj)) : NULL;
	if (!name && GMIME_IS_MESSAGE_PART(obj)) {
		GMimeMessage *inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
		const char *subject = inner ? g_mime_message_get_subject(inner) : NULL;
		if (subject && *subject) {
			g_autofree char *clean = header_clean(subject, 120);
			return g_strdup_printf("%s.eml", g_strdelimit(clean, "/\\", '-'));
		}
	}
	/* A name from mail must never be a path (the path-traversal filename tests). */
	g_autofree char *base = name ? g_path_get_basename(name) : NULL;
	char *clean = base ? header_clean(base, 255) : NULL;
	if (!clean || !*clean || !strcmp(clean, ".") || !strcmp(clean, "..") || !strcmp(clean, "/")) {
		g_free(clean);
		clean = g_strdup_printf("part-%u", w->mail->attachments->len + 1);
	}
	return clean;
}

static char *message_text(struct walk *outer, GMimeMessage *inner);

static void add_attachment(struct walk *w, GMimeObject *obj)
{
	if (w->text_only)
		return;
	struct mail_attachment *a = g_new0(struct mail_attachment, 1);
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	char *type = ct ? g_mime_content_type_get_mime_type(ct) : g_strdup("application/octet-stream");
	a->content_type = g_ascii_strdown(type, -1);
	g_free(type);
	GMimeContentDisposition *cd = g_mime_object_get_content_disposition(obj);
	a->is_inline = !cd || !g_mime_content_disposition_is_attachment(cd);
	a->filename = attachment_name(w, obj);
	if (GMIME_IS_MESSAGE_PART(obj)) {
		GMimeMessage *inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
		measure_content(w, obj, write_message, a);
		if (inner)
			a->text = message_text(w, inner);
	} else if (GMIME_IS_PART(obj)) {
		measure_content(w, obj, write_part, a);
	} else {
		a->sha256 = g_compute_checksum_for_string(G_CHECKSUM_SHA256, "", 0);
	}
	g_ptr_array_add(w->mail->attachments, a);
}

static void note_enclosed_message(struct walk *w, GMimeMessagePart *mp)
{
	GMimeMessage *inner = g_mime_message_part_get_message(mp);
	const char *id = inner ? g_mime_message_get_message_id(inner) : NULL;
	if (id && *id)
		g_ptr_array_add(w->mail->enclosed_ids, header_clean(id, 0));
}

/* text/rfc822-headers in a bounce: the returned message's headers only. */
static void note_enclosed_headers(struct walk *w, GMimeObject *obj)
{
	g_autofree char *text = part_text(GMIME_PART(obj), FALSE);
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	for (char **l = lines; *l; l++)
		if (!g_ascii_strncasecmp(*l, "message-id:", 11)) {
			char *id = header_first_message_id(*l + 11);
			if (id)
				g_ptr_array_add(w->mail->enclosed_ids, id);
		}
}

static void walk_part(struct walk *w, GMimeObject *obj, gboolean attachments_only);

static void walk_alternative(struct walk *w, GMimeMultipart *mp, gboolean attachments_only)
{
	int n = g_mime_multipart_get_count(mp);
	GMimeObject *best = NULL;
	for (int pass = 0; pass < 3 && !best && !attachments_only; pass++)
		for (int i = 0; i < n && !best; i++) {
			GMimeObject *child = g_mime_multipart_get_part(mp, i);
			if ((pass == 0 && is_body_candidate(child) && is_type(child, "text", "plain")) ||
			    (pass == 1 && is_body_candidate(child)) ||
			    (pass == 2 && GMIME_IS_MULTIPART(child)))
				best = child;
		}
	for (int i = 0; i < n; i++) {
		GMimeObject *child = g_mime_multipart_get_part(mp, i);
		if (child == best)
			walk_part(w, child, FALSE);
		else if (!is_body_candidate(child))
			walk_part(w, child, TRUE); /* inline images of the other versions */
	}
}

static void walk_multipart(struct walk *w, GMimeMultipart *mp, gboolean attachments_only)
{
	GMimeObject *obj = GMIME_OBJECT(mp);
	if (w->nesting >= MAX_NESTING)
		return; /* a hostile depth: what is deeper stays in the raw message */
	w->nesting++;
	if (is_type(obj, "multipart", "alternative")) {
		walk_alternative(w, mp, attachments_only);
	} else if (is_type(obj, "multipart", "signed")) {
		if (g_mime_multipart_get_count(mp) > 0)
			walk_part(w, g_mime_multipart_get_part(mp, 0), attachments_only);
	} else if (is_type(obj, "multipart", "encrypted")) {
		if (!attachments_only && !w->has_body)
			g_string_append(w->text, "[encrypted message: Overture cannot read it]");
	} else {
		for (int i = 0; i < g_mime_multipart_get_count(mp); i++)
			walk_part(w, g_mime_multipart_get_part(mp, i), attachments_only);
	}
	w->nesting--;
}

static void walk_part(struct walk *w, GMimeObject *obj, gboolean attachments_only)
{
	if (GMIME_IS_MULTIPART(obj)) {
		walk_multipart(w, GMIME_MULTIPART(obj), attachments_only);
	} else if (GMIME_IS_MESSAGE_PART(obj)) {
		if (!w->text_only)
			note_enclosed_message(w, GMIME_MESSAGE_PART(obj));
		add_attachment(w, obj);
	} else if (!GMIME_IS_PART(obj)) {
		return; /* message/partial and the like */
	} else if (is_type(obj, "message", "delivery-status") ||
		   is_type(obj, "message", "global-delivery-status")) {
		if (!w->mail->delivery_status && !w->text_only)
			w->mail->delivery_status = part_text(GMIME_PART(obj), FALSE);
	} else if (is_type(obj, "text", "rfc822-headers")) {
		if (!w->text_only)
			note_enclosed_headers(w, obj);
	} else if (is_type(obj, "application", "pgp-signature") ||
		   is_type(obj, "application", "pkcs7-signature") ||
		   is_type(obj, "application", "x-pkcs7-signature")) {
		return;
	} else if (!attachments_only && is_body_candidate(obj)) {
		add_body_text(w, obj);
	} else if (!is_body_candidate(obj)) {
		add_attachment(w, obj);
	}
}

static void append_header_line(GString *out, GMimeMessage *msg, const char *name)
{
	GMimeHeaderList *list = g_mime_object_get_header_list(GMIME_OBJECT(msg));
	GMimeHeader *h = g_mime_header_list_get_header(list, name);
	if (!h)
		return;
	g_autofree char *value = header_decode(g_mime_header_get_raw_value(h));
	g_string_append_printf(out, "%s: %s\n", name, value ? value : "");
}

/* An attached message as text: its main headers, then its body. */
static char *message_text(struct walk *outer, GMimeMessage *inner)
{
	GString *out = g_string_new(NULL);
	append_header_line(out, inner, "From");
	append_header_line(out, inner, "Date");
	append_header_line(out, inner, "Subject");
	append_header_line(out, inner, "To");
	GMimeObject *top = g_mime_message_get_mime_part(inner);
	if (top && outer->depth < MAX_MESSAGE_DEPTH) {
		struct walk w = {.mail = outer->mail, .text = g_string_new(NULL), .text_only = TRUE,
				 .depth = outer->depth + 1, .nesting = outer->nesting};
		walk_part(&w, top, FALSE);
		g_string_append_printf(out, "\n%s", w.text->str);
		g_string_free(w.text, TRUE);
	}
	return g_string_free(out, FALSE);
}

static void read_structure(GMimeMessage *msg, struct mail *mail,
			   const struct mail_parse_options *options)
{
	GMimeObject *top = g_mime_message_get_mime_part(msg);
	struct walk w = {.mail = mail, .text = g_string_new(NULL), .options = options};
	if (top) {
		GMimeContentType *ct = g_mime_object_get_content_type(top);
		char *type = ct ? g_mime_content_type_get_mime_type(ct) : g_strdup("text/plain");
		mail->mime_type = g_ascii_strdown(type, -1);
		g_free(type);
		const char *report = g_mime_object_get_content_type_parameter(top, "report-type");
		mail->report_type = report ? g_ascii_strdown(report, -1) : NULL;
		/* A lone text part of an unknown type is still what the sender wrote. */
		if (GMIME_IS_PART(top) && !GMIME_IS_MULTIPART(top) && is_type(top, "text", "*") &&
		    !g_mime_part_is_attachment(GMIME_PART(top)) && !is_type(top, "text", "html"))
			add_body_text(&w, top);
		else
			walk_part(&w, top, FALSE);
	} else {
		mail->mime_type = g_strdup("text/plain");
	}
	g_autofree char *text = g_string_free(w.text, FALSE);
	gsize quote = text_quote_start(text);
	mail->quoted = text[quote] ? g_strdup(text + quote) : NULL;
	text[quote] = '\0';
	mail->text = text_tidy(g_strdup(text));
}

static GMimeParserOptions *parser_options(void)
{
	static const char *fallback[] = {"utf-8", "windows-1252", NULL};
	GMimeParserOptions *po = g_mime_parser_options_new();
	g_mime_parser_options_set_fallback_charsets(po, fallback);
	return po;
}

struct mail *mail_parse_file(const char *path, const struct mail_parse_options *options,
			     GError **error)
{
	GError *local = NULL;
	GMimeStream *file = g_mime_stream_fs_open(path, O_RDONLY | O_CLOEXEC, 0, &local);
	if (!file) {
		g_set_error(error, OV_ERROR, OV_ERROR_PARSE, "cannot open %s: %s", path,
			    local->message);
		g_error_free(local);
		return NULL;
	}
	GMimeStream *stream = file;
	gint64 skip = leading_junk(path);
	if (skip > 0) {
		stream = g_mime_stream_substream(file, skip, -1);
		g_object_unref(file);
	}
	GMimeParser *parser = g_mime_parser_new_with_stream(stream);
	g_object_unref(stream);
	GMimeParserOptions *po = parser_options();
	GMimeMessage *msg = g_mime_parser_construct_message(parser, po);
	g_mime_parser_options_free(po);
	g_object_unref(parser);
	if (!msg) {
		g_set_error(error, OV_ERROR, OV_ERROR_PARSE,
			    "GMime found no message in the file (no header section)");
		return NULL;
	}

	struct mail *mail = g_new0(struct mail, 1);
	mail->headers = g_ptr_array_new_with_free_func(header_free);
	mail->attachments = g_ptr_array_new_with_free_func(attachment_free);
	mail->enclosed_ids = g_ptr_array_new_with_free_func(g_free);
	read_headers(msg, mail);
	read_envelope(msg, mail);
	read_structure(msg, mail, options);
	g_object_unref(msg);
	return mail;
}

gboolean mail_parse_survives(const char *path, int seconds, GError **error)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		g_set_error(error, OV_ERROR, OV_ERROR_PARSE, "cannot start a parser process: %s",
			    g_strerror(errno));
		return FALSE;
	}
	if (pid == 0) {
		alarm(seconds);
		struct mail *m = mail_parse_file(path, NULL, NULL);
		_exit(m ? 0 : 2); /* no cleanup: this process only tests */
	}
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return TRUE;
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
		g_set_error(error, OV_ERROR, OV_ERROR_PARSE,
			    "GMime took longer than %d seconds to parse the message", seconds);
	else if (WIFSIGNALED(status))
		g_set_error(error, OV_ERROR, OV_ERROR_PARSE,
			    "GMime crashed parsing the message (signal %d)", WTERMSIG(status));
	else
		g_set_error(error, OV_ERROR, OV_ERROR_PARSE,
			    "GMime found no message in the file (no header section)");
	return FALSE;
}
