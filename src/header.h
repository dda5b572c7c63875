/* Header values in and out: RFC 2047 decoding that survives what real mail sends (and
 * what Debian's GMime 3.2.13 gets wrong), Message-ID lists, and the cleaning that keeps
 * a value from mail from ever adding or changing a header of ours (invariant 5).
 * Pure functions: each result is newly allocated (g_free / g_ptr_array_unref). */
#ifndef OVERTURE_HEADER_H
#define OVERTURE_HEADER_H

#include <glib.h>

/* An unfolded header value with its encoded words decoded, as valid UTF-8. Raw 8-bit
 * text is read as UTF-8 when valid, else windows-1252. */
char *header_decode(const char *raw);

/* A value safe to put into a header we write: control characters (CR, LF, NUL, ...)
 * become spaces, runs of white space one space, no space at either end, at most
 * MAX_CHARS characters (0: no limit). */
char *header_clean(const char *value, gsize max_chars);

/* The Message-IDs in an In-Reply-To or References value, without angle brackets, in
 * order, each at most once. */
GPtrArray *header_message_ids(const char *value);

/* The first Message-ID of VALUE, or NULL. */
char *header_first_message_id(const char *value);

/* The display name of a single-mailbox header such as From ("Zoë <z@x>" -> "Zoë"),
 * decoded and unquoted, or NULL when there is none. */
char *header_display_name(const char *raw);

/* The address inside the first <...> of VALUE ("" for "<>"), or NULL without brackets. */
char *header_angle_address(const char *value);

/* TRUE for a plain address we may send to: local@domain, printable ASCII or UTF-8,
 * no spaces, brackets, quotes or control characters, at most 254 bytes. */
gboolean header_address_ok(const char *address);

#endif
