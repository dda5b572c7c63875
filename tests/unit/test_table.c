/* Piped output escaping and terminal widths. */
#include "table.h"
#include "unit.h"

static void test_tsv(void)
{
	g_autofree char *e = table_escape_tsv("a\tb\nc\\d\re");
	g_assert_cmpstr(e, ==, "a\\tb\\nc\\\\d\\re");
	g_autofree char *n = table_escape_tsv(NULL);
	g_assert_cmpstr(n, ==, "");
}

static void test_width(void)
{
	g_assert_cmpuint(table_display_width("Zoë"), ==, 3);
	g_assert_cmpuint(table_display_width("日本"), ==, 4);
	g_assert_cmpuint(table_display_width(""), ==, 0);
}

void add_table_tests(void)
{
	g_test_add_func("/table/tsv", test_tsv);
	g_test_add_func("/table/width", test_width);
}
