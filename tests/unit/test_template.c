/* Template rendering: placeholders, sections, escaping, and errors a hub would make. */
#include "template.h"

#include <string.h>
#include "unit.h"

static GHashTable *vars(void)
{
	GHashTable *v = g_hash_table_new(g_str_hash, g_str_equal);
	g_hash_table_insert(v, "name", "Zoë");
	g_hash_table_insert(v, "org", "");
	g_hash_table_insert(v, "ref", "EOI-2026-0042");
	g_hash_table_insert(v, "html", "<b>Tom & \"Jerry\"</b>");
	return v;
}

static char *render(const char *t, enum template_escape esc)
{
	g_autoptr(GHashTable) v = vars();
	g_autoptr(GError) error = NULL;
	char *out = template_render(t, v, esc, &error);
	g_assert_no_error(error);
	return out;
}

static void test_placeholders(void)
{
	g_autofree char *out = render("Dear {{name}}, ref {{ ref }}.", TEMPLATE_PLAIN);
	g_assert_cmpstr(out, ==, "Dear Zoë, ref EOI-2026-0042.");
}

static void test_sections(void)
{
	g_autofree char *a = render("{{#name}}Hi {{name}}{{/name}}{{^name}}Hello{{/name}}!", TEMPLATE_PLAIN);
	g_assert_cmpstr(a, ==, "Hi Zoë!");
	g_autofree char *b = render("x{{#org}} for {{org}}{{/org}}{{^org}} (no org){{/org}}y", TEMPLATE_PLAIN);
	g_assert_cmpstr(b, ==, "x (no org)y");
	g_autofree char *c = render("{{#name}}[{{#ref}}{{ref}}{{/ref}}]{{/name}}", TEMPLATE_PLAIN);
	g_assert_cmpstr(c, ==, "[EOI-2026-0042]");
}

static void test_html_escaping(void)
{
	g_autofree char *plain = render("{{html}}", TEMPLATE_PLAIN);
	g_assert_cmpstr(plain, ==, "<b>Tom & \"Jerry\"</b>");
	g_autofree char *html = render("<p>{{html}}</p>", TEMPLATE_HTML);
	g_assert_cmpstr(html, ==, "<p>&lt;b&gt;Tom &amp; &quot;Jerry&quot;&lt;/b&gt;</p>");
}

static void expect_error(const char *t, const char *fragment)
{
	g_autoptr(GHashTable) v = vars();
	g_autoptr(GError) error = NULL;
	g_autofree char *out = template_render(t, v, TEMPLATE_PLAIN, &error);
	g_assert_null(out);
	g_assert_nonnull(error);
	g_assert_nonnull(strstr(error->message, fragment));
}

static void test_errors(void)
{
	expect_error("Dear {{nmae}}", "unknown placeholder {{nmae}}");
	expect_error("{{#name}}never closed", "never closed");
	expect_error("stray {{/name}}", "never opened");
	expect_error("open {{name", "without its }}");
	expect_error("{{^org}}{{typo}}{{/org}}", "{{typo}}"); /* found even in a hidden part */
}

void add_template_tests(void)
{
	g_test_add_func("/template/placeholders", test_placeholders);
	g_test_add_func("/template/sections", test_sections);
	g_test_add_func("/template/html-escaping", test_html_escaping);
	g_test_add_func("/template/errors", test_errors);
}
