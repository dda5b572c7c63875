/* A message's fingerprint (DESIGN.md invariant 2): SHA-256 of the raw message with its
 * trace headers (Received, Return-Path, Delivered-To, ...) left out and line endings
 * made LF, so the same mail met again on another path or after a UIDVALIDITY reset is
 * recognised. Pure functions over bytes; no state. */
#ifndef OVERTURE_FINGERPRINT_H
#define OVERTURE_FINGERPRINT_H

#include <glib.h>
#include <stdio.h>

/* TRUE when a header of this name is added in transit rather than by the sender. */
gboolean fingerprint_is_trace_header(const char *name, gsize len);

/* Hex SHA-256 of the message read from IN (g_free), or NULL with ERROR on a read error. */
char *fingerprint_stream(FILE *in, GError **error);

/* The same for a file. */
char *fingerprint_file(const char *path, GError **error);

#endif
