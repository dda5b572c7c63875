/* Charset conversion (never invalid UTF-8) and HTML to text. */
#include "text.h"
#include "unit.h"

#include <string.h>

static void check_utf8(const char *bytes, gsize len, const char *charset, const char *expected)
{
	g_autofree char *out = text_to_utf8(bytes, len, charset);
	g_assert_true(g_utf8_validate(out, -1, NULL));
	g_assert_cmpstr(out, ==, expected);
}

static void test_charsets(void)
{
	check_utf8("caf\xe9", 4, "iso-8859-1", "café");
	check_utf8("caf\xe9", 4, NULL, "café");				/* undeclared, not UTF-8 */
	check_utf8("caf\xc3\xa9", 5, NULL, "café");			/* undeclared UTF-8 */
	check_utf8("caf\xc3\xa9", 5, "iso-8859-1", "café");		/* mislabelled UTF-8 */
	check_utf8("\x80 5", 3, "windows-1252", "€ 5");
	check_utf8("\x80 5", 3, "x-unknown-charset", "€ 5");
	check_utf8("\x93hi\x94", 4, "us-ascii", "\u201chi\u201d");	/* 8-bit in "ascii" */
	check_utf8("\xc2\xcf\xd2", 3, "koi8-r", "бор");
	check_utf8("a\0b", 3, "utf-8", "ab");
	check_utf8("+AGQAaQBl-", 10, "utf-7", "die");
	check_utf8("\x81", 1, NULL, "\ufffd");
}

static void check_html(const char *html, const char *expected)
{
	g_autofree char *out = text_from_html(html, strlen(html));
	g_assert_cmpstr(out, ==, expected);
}

static void test_html(void)
{
	check_html("<p>Hello <b>there</b>,</p><p>We run a choir.</p>",
		   "Hello there,\n\nWe run a choir.");
	check_html("<div>line one<br>line two</div>", "line one\nline two");
	check_html("<ul><li>Singing</li><li>Strings</li></ul>", "- Singing\n- Strings");
	check_html("See <a href=\"https://choir.test/join\">our page</a>.",
		   "See our page <https://choir.test/join>.");
	check_html("<a href=\"https://x.test\">https://x.test</a>", "https://x.test");
	check_html("<style>p{color:red}</style><script>alert(1)</script><p>Visible</p>",
		   "Visible");
	check_html("<html><head><title>T</title></head><body>A&amp;B &pound;5</body></html>",
		   "A&B £5");
	check_html("<table><tr><td>Name</td><td>Zoë</td></tr><tr><td>Org</td><td>Choir</td></tr></table>",
		   "Name\tZoë\nOrg\tChoir");
}

static void test_tidy_and_wrap(void)
{
	char raw[] = "a  \r\nb\r\rc\n\n\n\nd\n\n";
	g_assert_cmpstr(text_tidy(raw), ==, "a\nb\n\nc\n\nd");
	g_autofree char *w = text_wrap("one two three four five six", 10);
	g_assert_cmpstr(w, ==, "one two\nthree four\nfive six");
	g_autofree char *item = text_wrap("- alpha beta gamma delta", 12);
	g_assert_cmpstr(item, ==, "- alpha beta\n  gamma\n  delta");
	g_autofree char *url = text_wrap("see https://a.very.long.example/path/to/page now", 10);
	g_assert_cmpstr(url, ==, "see\nhttps://a.very.long.example/path/to/page\nnow");
}

/* The new text of a reply: what comes before its quoted history. */
static void check_new_text(const char *text, const char *expected_new)
{
	gsize at = text_quote_start(text);
	g_autofree char *head = g_strndup(text, at);
	g_assert_cmpstr(g_strchomp(head), ==, expected_new);
}

static void test_quotes(void)
{
	/* Gmail, Apple Mail, Thunderbird: an attribution line, then '>' lines. */
	check_new_text("Yes, Tuesday works.\n\nOn Mon, 16 Nov 2026 at 09:12, Riverside Music Hub "
		       "<hub@hub.test> wrote:\n> Thank you for your interest\n> EOI-2026-0001\n",
		       "Yes, Tuesday works.");
	/* The attribution wrapped over two lines. */
	check_new_text("Thanks!\n\nOn Mon, 16 Nov 2026 at 09:12, Riverside Music Hub <hub@hub.test>\n"
		       "wrote:\n> quoted\n",
		       "Thanks!");
	/* German Outlook header block. */
	check_new_text("Vielen Dank.\n\nVon: Hub <hub@hub.test>\nGesendet: Montag, 16. November 2026\n"
		       "An: Anna <anna@schule.test>\nBetreff: Partnerschaft\n\nDanke für Ihr Interesse",
		       "Vielen Dank.");
	/* Outlook's line of underscores before the block. */
	check_new_text("Sounds good.\n\n________________________________\nFrom: Hub <hub@hub.test>\n"
		       "Sent: 16 November 2026 09:12\nTo: Sam\nSubject: Re: x\n\nold text",
		       "Sounds good.");
	check_new_text("See below.\n-----Original Message-----\nFrom: x\n", "See below.");
	/* Inline answers between quotes: nothing is cut. */
	const char *inline_reply = "> Can you host rehearsals?\nYes, on Saturdays.\n> How many "
				   "players?\nUp to forty.\n> Parking?\nThere is a car park.";
	g_assert_cmpuint(text_quote_start(inline_reply), ==, strlen(inline_reply));
	/* A forward is not a quote: the forwarded enquiry stays in the text. */
	const char *forward = "FYI, see below.\n\n---------- Forwarded message ---------\nFrom: "
			      "Jane <jane@school.test>\nDate: Mon, 16 Nov 2026\nSubject: Partnership\n"
			      "To: info@hub.test\n\nWe would like to partner.";
	g_assert_cmpuint(text_quote_start(forward), ==, strlen(forward));
	/* A message that is all quote keeps it. */
	const char *all = "> only a quote\n> nothing else";
	g_assert_cmpuint(text_quote_start(all), ==, strlen(all));
	/* "On" at the start of an ordinary sentence is not an attribution. */
	const char *normal = "Hello,\nOn Saturdays we run a youth choir and wrote: a new piece.\nThanks";
	g_assert_cmpuint(text_quote_start(normal), ==, strlen(normal));
}

static void test_unflow(void)
{
	g_autofree char *a = text_unflow("Hello, this is \nflowed text.\n\nNew para.", FALSE);
	g_assert_cmpstr(a, ==, "Hello, this is flowed text.\n\nNew para.");
	g_autofree char *b = text_unflow("in three \nchildren's centres", TRUE);
	g_assert_cmpstr(b, ==, "in threechildren's centres");
	g_autofree char *c = text_unflow("> quoted \n> more\nreply", FALSE);
	g_assert_cmpstr(c, ==, "> quoted more\nreply");
	g_autofree char *d = text_unflow("Sig below\n-- \nJane", FALSE);
	g_assert_cmpstr(d, ==, "Sig below\n-- \nJane");
	g_autofree char *e = text_unflow(" From the stuffed line", FALSE);
	g_assert_cmpstr(e, ==, "From the stuffed line");
}

void add_text_tests(void)
{
	g_test_add_func("/text/unflow", test_unflow);
	g_test_add_func("/text/quotes", test_quotes);
	g_test_add_func("/text/charsets", test_charsets);
	g_test_add_func("/text/html", test_html);
	g_test_add_func("/text/tidy-and-wrap", test_tidy_and_wrap);
}
