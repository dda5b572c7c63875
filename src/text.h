/* Text conversions for mail bodies and header words: any declared (or undeclared, or
 * wrong) charset to valid UTF-8, and HTML to readable plain text. Pure functions: they
 * only allocate what they return (g_free). */
#ifndef OVERTURE_TEXT_H
#define OVERTURE_TEXT_H

#include <glib.h>

/* BYTES in CHARSET (NULL or "" when unknown) as valid UTF-8. Falls back to UTF-8 when the
 * bytes are valid UTF-8, else windows-1252. NUL bytes are dropped. Never NULL. */
char *text_to_utf8(const char *bytes, gsize len, const char *charset);

/* windows-1252 (a superset of ISO-8859-1 in practice) to UTF-8; undefined bytes become
 * U+FFFD. */
char *text_from_windows1252(const char *bytes, gsize len);

/* Readable text from an HTML document in UTF-8: paragraphs, line breaks and list items
 * kept, link targets shown after their text, scripts and styles dropped. */
char *text_from_html(const char *html, gsize len);

/* Lines ending in CRLF or CR become LF; trailing spaces, repeated empty lines and empty
 * lines at the end are removed. Modifies TEXT in place and returns it. */
char *text_tidy(char *text);

/* TEXT with lines longer than WIDTH characters broken at spaces; a continued list item
 * ("- ", "* ") is indented under its text. Words longer than WIDTH stay whole. */
char *text_wrap(const char *text, gsize width);

/* Undoes format=flowed (RFC 3676): a line ending in a space continues on the next line
 * of the same quote depth; with DELSP the space itself goes. Returns new text. */
char *text_unflow(const char *text, gboolean delsp);

/* Where the quoted history of a reply starts in TEXT (its length when there is none):
 * an attribution ("On ... wrote:", "Am ... schrieb:", ...), an "Original Message"
 * separator, an Outlook header block (From:/Sent:/To:), or '>' lines with no answers
 * between them. Forwarded messages are not quotes. Never 0: a message that is all
 * quote keeps it as its text. */
gsize text_quote_start(const char *text);

/* "---------- Forwarded message ---------", "Begin forwarded message:" and their
 * German and French forms. */
gboolean text_is_forward_marker(const char *line);
/* Outlook's "-----Original Message-----" line, in six languages. */
gboolean text_is_original_message(const char *line);

#endif
