/* Fingerprints: the same message on another path is the same; any change of content is
 * not. */
#include "fingerprint.h"
#include "unit.h"

#include <glib/gstdio.h>
#include <string.h>

static char *print_of(const char *text)
{
	g_autofree char *path = unit_temp_file(text);
	g_autoptr(GError) error = NULL;
	char *fp = fingerprint_file(path, &error);
	g_assert_no_error(error);
	g_remove(path);
	return fp;
}

#define BASE "From: a@b.test\nTo: hub@hub.test\nSubject: Hi\nMessage-ID: <1@b.test>\n\nBody\n"

static void test_same_message(void)
{
	g_autofree char *a = print_of(BASE);
	g_autofree char *b = print_of("Return-Path: <a@b.test>\nDelivered-To: hub@hub.test\n"
				      "Received: from x\n\tby y; Mon, 1 Jan 2026\n" BASE);
	g_autofree char *c = print_of("From: a@b.test\r\nTo: hub@hub.test\r\nSubject: Hi\r\n"
				      "Message-ID: <1@b.test>\r\nX-Spam-Status: No\r\n\r\nBody\r\n");
	g_autofree char *d = print_of("From: a@b.test\nTo: hub@hub.test\nSubject: Hi\n"
				      "Authentication-Results: mx; dmarc=pass\n"
				      "Message-ID: <1@b.test>\n\nBody\n");
	g_assert_cmpuint(strlen(a), ==, 64);
	g_assert_cmpstr(a, ==, b);
	g_assert_cmpstr(a, ==, c);
	g_assert_cmpstr(a, ==, d);
}

static void test_different_messages(void)
{
	g_autofree char *a = print_of(BASE);
	g_autofree char *body = print_of("From: a@b.test\nTo: hub@hub.test\nSubject: Hi\n"
					 "Message-ID: <1@b.test>\n\nBody!\n");
	g_autofree char *id = print_of("From: a@b.test\nTo: hub@hub.test\nSubject: Hi\n"
				       "Message-ID: <2@b.test>\n\nBody\n");
	/* "Received:" in the body is text, not a trace header. */
	g_autofree char *in_body = print_of(BASE "Received: yes\n");
	g_autofree char *in_body2 = print_of(BASE "Received: no\n");
	g_assert_cmpstr(a, !=, body);
	g_assert_cmpstr(a, !=, id);
	g_assert_cmpstr(in_body, !=, in_body2);
}

static void test_trace_names(void)
{
	g_assert_true(fingerprint_is_trace_header("Received", 8));
	g_assert_true(fingerprint_is_trace_header("DELIVERED-TO", 12));
	g_assert_true(fingerprint_is_trace_header("X-Spam-Score", 12));
	g_assert_false(fingerprint_is_trace_header("Subject", 7));
	g_assert_false(fingerprint_is_trace_header("X-Spam-", 7));
}

void add_fingerprint_tests(void)
{
	g_test_add_func("/fingerprint/same-message", test_same_message);
	g_test_add_func("/fingerprint/different-messages", test_different_messages);
	g_test_add_func("/fingerprint/trace-names", test_trace_names);
}
