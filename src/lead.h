/* The vocabulary of a lead: its statuses, organisation types and the National Plan's
 * strategic functions, with the checks and the canonical forms the commands, the
 * extractor and the store share. Pure functions. */
#ifndef OVERTURE_LEAD_H
#define OVERTURE_LEAD_H

#include <glib.h>

/* new, reviewing, contacted, partner, declined, spam, quarantined */
extern const char *const lead_statuses[];
/* school, academy_trust, early_years, ... other */
extern const char *const lead_org_types[];
/* partnerships, schools, progression, inclusion, sustainability: the Plan's order */
extern const char *const lead_functions[];

gboolean lead_is_status(const char *s);
/* A status a coordinator may set (every status but quarantined, which intake sets). */
gboolean lead_is_settable_status(const char *s);
gboolean lead_is_org_type(const char *s);

/* "Inclusion, schools" -> "schools,inclusion" (the Plan's order, each once). NULL with
 * ERROR naming the unknown word. An empty TEXT gives "". */
char *lead_functions_canonical(const char *text, GError **error);

/* "a, b, c" for an error message (g_free). */
char *lead_words(const char *const *words);

#endif
