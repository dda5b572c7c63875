/* Column layout: each column starts at its natural width; while the table is wider than
 * the terminal, the widest column gives up one character at a time. */
#include "table.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define MIN_COLUMN 6
#define GAP 2

struct table {
	guint ncols;
	guint64 fixed; /* bit N: column N keeps its width */
	GPtrArray *headers;
	GPtrArray *rows; /* GPtrArray of char * per row */
};

struct table *table_new(const char *const *headers)
{
	struct table *t = g_new0(struct table, 1);
	t->headers = g_ptr_array_new_with_free_func(g_free);
	for (const char *const *h = headers; *h; h++)
		g_ptr_array_add(t->headers, g_strdup(*h));
	t->ncols = t->headers->len;
	t->rows = g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);
	return t;
}

void table_free(struct table *t)
{
	if (!t)
		return;
	g_ptr_array_unref(t->headers);
	g_ptr_array_unref(t->rows);
	g_free(t);
}

/* One line of a cell: control characters would break the layout. */
static char *flatten(const char *text)
{
	char *s = g_strdup(text ? text : "");
	for (char *p = s; *p; p++)
		if ((guchar)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	if (!g_utf8_validate(s, -1, NULL)) {
		char *valid = g_utf8_make_valid(s, -1);
		g_free(s);
		s = valid;
	}
	return s;
}

void table_keep_width(struct table *t, guint col)
{
	t->fixed |= 1ull << col;
}

void table_add_row(struct table *t, const char *const *cells)
{
	GPtrArray *row = g_ptr_array_new_with_free_func(g_free);
	for (guint c = 0; c < t->ncols; c++)
		g_ptr_array_add(row, flatten(cells[c]));
	g_ptr_array_add(t->rows, row);
}

gsize table_display_width(const char *text)
{
	gsize width = 0;
	for (const char *p = text; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		if (g_unichar_iszerowidth(c))
			continue;
		width += g_unichar_iswide(c) ? 2 : 1;
	}
	return width;
}

/* Prints TEXT in exactly WIDTH columns: cut with "..." or padded with spaces. */
static void print_cell(FILE *out, const char *text, gsize width, gboolean last)
{
	gsize w = table_display_width(text);
	if (w <= width) {
		fputs(text, out);
		if (!last)
			fprintf(out, "%*s", (int)(width - w), "");
		return;
	}
	gsize used = 0;
	const char *p = text;
	while (*p) {
		gunichar c = g_utf8_get_char(p);
		gsize cw = g_unichar_iswide(c) ? 2 : 1;
		if (used + cw + 3 > width)
			break;
		const char *next = g_utf8_next_char(p);
		fwrite(p, 1, next - p, out);
		used += cw;
		p = next;
	}
	fputs(width >= 3 ? "..." : "", out);
	used += width >= 3 ? 3 : 0;
	if (!last)
		fprintf(out, "%*s", (int)(width - used), "");
}

static gsize terminal_width(FILE *out)
{
	struct winsize ws;
	if (ioctl(fileno(out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20)
		return ws.ws_col;
	const char *env = getenv("COLUMNS");
	long cols = env ? strtol(env, NULL, 10) : 0;
	return cols > 20 ? (gsize)cols : 100;
}

/* Shrinks the widest column that may shrink, one character at a time, until the table
 * fits TOTAL_WIDTH or nothing can shrink further. */
static void fit_widths(gsize *widths, guint ncols, guint64 fixed, gsize total_width)
{
	for (;;) {
		gsize sum = 0;
		gint widest = -1;
		for (guint c = 0; c < ncols; c++) {
			sum += widths[c] + (c + 1 < ncols ? GAP : 0);
			if (!(fixed & (1ull << c)) && widths[c] > MIN_COLUMN &&
			    (widest < 0 || widths[c] > widths[widest]))
				widest = c;
		}
		if (sum <= total_width || widest < 0)
			return;
		widths[widest]--;
	}
}

void table_print(const struct table *t, FILE *out)
{
	if (!isatty(fileno(out))) {
		for (guint r = 0; r < t->rows->len; r++) {
			GPtrArray *row = t->rows->pdata[r];
			table_print_tsv_row(out, (const char *const *)row->pdata, t->ncols);
		}
		return;
	}
	g_autofree gsize *widths = g_new0(gsize, t->ncols);
	for (guint c = 0; c < t->ncols; c++)
		widths[c] = table_display_width(t->headers->pdata[c]);
	for (guint r = 0; r < t->rows->len; r++) {
		GPtrArray *row = t->rows->pdata[r];
		for (guint c = 0; c < t->ncols; c++)
			widths[c] = MAX(widths[c], table_display_width(row->pdata[c]));
	}
	fit_widths(widths, t->ncols, t->fixed, terminal_width(out));
	for (gint r = -1; r < (gint)t->rows->len; r++) {
		GPtrArray *cells = r < 0 ? t->headers : t->rows->pdata[r];
		for (guint c = 0; c < t->ncols; c++) {
			print_cell(out, cells->pdata[c], widths[c], c + 1 == t->ncols);
			if (c + 1 < t->ncols)
				fprintf(out, "%*s", GAP, "");
		}
		fputc('\n', out);
	}
}

char *table_escape_tsv(const char *text)
{
	GString *out = g_string_new(NULL);
	for (const char *p = text ? text : ""; *p; p++) {
		switch (*p) {
		case '\\':
			g_string_append(out, "\\\\");
			break;
		case '\t':
			g_string_append(out, "\\t");
			break;
		case '\n':
			g_string_append(out, "\\n");
			break;
		case '\r':
			g_string_append(out, "\\r");
			break;
		default:
			g_string_append_c(out, *p);
		}
	}
	return g_string_free(out, FALSE);
}

void table_print_tsv_row(FILE *out, const char *const *cells, gsize n)
{
	for (gsize c = 0; c < n; c++) {
		g_autofree char *escaped = table_escape_tsv(cells[c]);
		fprintf(out, "%s%s", c ? "\t" : "", escaped);
	}
	fputc('\n', out);
}
