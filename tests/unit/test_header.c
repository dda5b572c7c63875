/* Header decoding and cleaning, including the encoded-word cases GMime 3.2.13 gets
 * wrong and the values an attacker would use to inject headers. */
#include "header.h"

#include <string.h>
#include "unit.h"

static void check_decode(const char *raw, const char *expected)
{
	g_autofree char *out = header_decode(raw);
	g_assert_cmpstr(out, ==, expected);
}

static void test_decode(void)
{
	check_decode("Plain subject", "Plain subject");
	check_decode("=?ISO-8859-1?Q?Anfrage_f=FCr_Partnerschaft?=", "Anfrage für Partnerschaft");
	check_decode("=?UTF-8?B?Wm/DqyBCcm93bg==?=", "Zoë Brown");
	/* GMime #133: adjacent B-words lost all but the first. */
	check_decode("=?UTF-8?B?SGVsbG8=?= =?UTF-8?B?IHdvcmxk?=", "Hello world");
	/* A character split across two words. */
	check_decode("=?UTF-8?B?w4E=?= =?UTF-8?B?w6k=?=", "Áé");
	check_decode("=?UTF-8?B?xZo=?=wiat", "Świat");
	check_decode("Re: =?utf-8?q?Caf=C3=A9?= meeting", "Re: Café meeting");
	check_decode("=?windows-1252?Q?=93quoted=94?=", "\u201cquoted\u201d");
	check_decode("folded\r\n line", "folded line");
	check_decode("=?UTF-8*en?Q?Hi?=", "Hi");
	check_decode("=?bogus-charset?Q?caf=E9?=", "café");
	check_decode("caf\xe9 raw latin-1", "café raw latin-1");
	check_decode("=?UTF-8?Q?broken", "=?UTF-8?Q?broken");
}

static void test_injection(void)
{
	/* An encoded CR LF must not survive decoding into a value we might reuse. */
	g_autofree char *decoded = header_decode("=?UTF-8?Q?Hi=0D=0ABcc:_victim@example.org?=");
	g_assert_null(strchr(decoded, '\r'));
	g_assert_null(strchr(decoded, '\n'));
	g_autofree char *clean = header_clean("Jane\r\nBcc: x@y\tSmith\x01", 0);
	g_assert_cmpstr(clean, ==, "Jane Bcc: x@y Smith");
	g_autofree char *cut = header_clean("Łukasz Kowalski-Wiśniewski", 6);
	g_assert_cmpstr(cut, ==, "Łukasz");
	g_autofree char *invalid = header_clean("bad \xff utf8", 0);
	g_assert_cmpstr(invalid, ==, "");
}

static void test_message_ids(void)
{
	g_autoptr(GPtrArray) ids = header_message_ids(" <a@b.c>\r\n\t<d@e.f> (comment) <a@b.c>");
	g_assert_cmpuint(ids->len, ==, 2);
	g_assert_cmpstr(ids->pdata[0], ==, "a@b.c");
	g_assert_cmpstr(ids->pdata[1], ==, "d@e.f");
	g_autoptr(GPtrArray) bare = header_message_ids("1234@mail.example.org");
	g_assert_cmpuint(bare->len, ==, 1);
	g_autofree char *first = header_first_message_id("<x@y>");
	g_assert_cmpstr(first, ==, "x@y");
	g_autofree char *none = header_first_message_id("");
	g_assert_null(none);
}

static void check_name(const char *raw, const char *expected)
{
	g_autofree char *name = header_display_name(raw);
	g_assert_cmpstr(name, ==, expected);
}

static void test_display_names(void)
{
	check_name("Jane Smith <jane@school.test>", "Jane Smith");
	check_name("\"Smith, Jane\" <jane@school.test>", "Smith, Jane");
	check_name("=?UTF-8?B?Wm/Dqw==?= =?UTF-8?B?IEJyb3du?= <z@x.test>", "Zoë Brown");
	check_name("jane@school.test (Jane Smith)", "Jane Smith");
	check_name("<jane@school.test>", NULL);
	check_name("jane@school.test", NULL);
	check_name("\"a <b> c\" <d@e.f>", "a <b> c");
}

static void test_addresses(void)
{
	g_assert_true(header_address_ok("jane@school.test"));
	g_assert_true(header_address_ok("zoë@école.test"));
	g_assert_false(header_address_ok("jane@localhost"));
	g_assert_false(header_address_ok("jane smith@school.test"));
	g_assert_false(header_address_ok("<jane@school.test>"));
	g_assert_false(header_address_ok("jane@school.test\r\nRCPT TO:<x@y.z>"));
	g_assert_false(header_address_ok(NULL));
	g_autofree char *angle = header_angle_address("  <>  ");
	g_assert_cmpstr(angle, ==, "");
	g_autofree char *rp = header_angle_address("<bounce@list.test>");
	g_assert_cmpstr(rp, ==, "bounce@list.test");
}

void add_header_tests(void)
{
	g_test_add_func("/header/decode", test_decode);
	g_test_add_func("/header/injection", test_injection);
	g_test_add_func("/header/message-ids", test_message_ids);
	g_test_add_func("/header/display-names", test_display_names);
	g_test_add_func("/header/addresses", test_addresses);
}
