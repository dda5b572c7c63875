/* Tables for the terminal, sized to the window (cells cut with "..." when they do not
 * fit), and tab-separated lines for pipes, with tab, newline and backslash escaped. */
#ifndef OVERTURE_TABLE_H
#define OVERTURE_TABLE_H

#include <glib.h>
#include <stdio.h>

struct table;

/* HEADERS is a NULL-terminated list; it fixes the number of columns. */
struct table *table_new(const char *const *headers);
void table_free(struct table *t);
typedef struct table OvTable;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OvTable, table_free)

/* Column COL keeps its full width when the table must shrink to fit the terminal. */
void table_keep_width(struct table *t, guint col);

/* CELLS has one entry per column; NULL cells print empty. */
void table_add_row(struct table *t, const char *const *cells);
/* On a terminal: aligned columns under a header line, as wide as the terminal (or
 * $COLUMNS, or 100). Elsewhere: the rows as tab-separated lines, no header. */
void table_print(const struct table *t, FILE *out);

/* One tab-separated line of the N CELLS (NULL cells print empty). */
void table_print_tsv_row(FILE *out, const char *const *cells, gsize n);
/* TEXT with \, tab, newline and carriage return written as \\, \t, \n and \r (g_free). */
char *table_escape_tsv(const char *text);
/* The number of terminal columns TEXT takes (wide characters count two). */
gsize table_display_width(const char *text);

#endif
