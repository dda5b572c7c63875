/* Parse: one raw message file -> struct mail, with decoded headers, the best body text as
 * UTF-8, and attachment metadata. GMime reads the file through a persistent stream, so
 * memory stays bounded whatever the message size. A struct mail owns all its strings. */
#ifndef OVERTURE_MIME_H
#define OVERTURE_MIME_H

#include <glib.h>

struct mail_header {
	char *name;
	char *value; /* unfolded, decoded, valid UTF-8, no control characters */
};

struct mail_attachment {
	char *filename; /* decoded; a name is made up when the part has none */
	char *content_type;
	gint64 size; /* decoded bytes */
	char *sha256;
	gboolean is_inline;
	char *kept_tmp;	 /* the content in a temporary file (see mail_parse_options), or NULL */
	char *stored;	 /* its name in the spool once the caller kept it, or NULL */
	char *note;	 /* why the content was not kept, or NULL */
	char *text;	 /* an attached message's headers and text, for reading and search */
};

/* Where parsing keeps attachment content: each attachment of at most KEEP_MAX bytes is
 * written to a temporary file in KEEP_DIR (the caller makes it durable or removes it). */
struct mail_parse_options {
	const char *keep_dir;
	gint64 keep_max;
};

struct mail {
	GPtrArray *headers; /* struct mail_header *, top-level, in order */
	char *from_name;
	char *from_addr; /* lower case; NULL when From has no address */
	char *reply_to_name;
	char *reply_to_addr;
	char *return_path; /* envelope sender: NULL when absent, "" when <> */
	char *subject;	   /* never NULL */
	gint64 date;	   /* Unix time, 0 when missing or unreadable */
	char *message_id;  /* without <>, NULL when missing */
	GPtrArray *in_reply_to; /* char * ids */
	GPtrArray *references;	/* char * ids */
	char *mime_type;	/* of the top part, lower case, e.g. "multipart/report" */
	char *report_type;	/* multipart/report only, lower case */
	char *text;		/* the best body text, UTF-8, never NULL: what the sender wrote */
	char *quoted;		/* quoted history below it (a reply's "On ... wrote:"), or NULL */
	GPtrArray *attachments; /* struct mail_attachment * */
	GPtrArray *enclosed_ids; /* Message-IDs of messages inside this one (bounces, forwards) */
	char *delivery_status;	/* text of a message/delivery-status part, or NULL */
};

/* Parses the message in PATH (OPTIONS may be NULL: attachments are then only measured).
 * Fails (OV_ERROR_PARSE) only when GMime finds no message at all; damaged MIME inside a
 * message still gives a struct mail. Free with mail_free, which removes temporary
 * attachment files still named in kept_tmp. */
struct mail *mail_parse_file(const char *path, const struct mail_parse_options *options,
			     GError **error);
void mail_free(struct mail *mail);

/* Parses PATH once in a child process that has SECONDS to finish, so that a GMime crash
 * or endless loop on a malformed message costs the child, not the daemon. FALSE (with
 * OV_ERROR_PARSE saying what happened) when the child did not finish cleanly. */
gboolean mail_parse_survives(const char *path, int seconds, GError **error);
typedef struct mail OvMail;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OvMail, mail_free)

/* The value of the first header called NAME (any case), or NULL. */
const char *mail_header(const struct mail *mail, const char *name);

/* The address to reply to: Reply-To when it has one, else From (may be NULL). */
const char *mail_reply_address(const struct mail *mail);
const char *mail_reply_name(const struct mail *mail);

#endif
