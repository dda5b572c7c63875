/* Robot rules, one message per rule, and the person-shaped messages they must not hit. */
#include "classify.h"
#include "unit.h"

#include <glib/gstdio.h>
#include <string.h>

static struct config *test_config(void)
{
	static char *own_lists[] = {"partners.hub.test", NULL};
	static char *trusted[] = {"mx.hub.test", NULL};
	static struct config cfg;
	cfg.hub.address = "hub@hub.test";
	cfg.hub.domain = "hub.test";
	cfg.hub.own_list_ids = own_lists;
	cfg.smtp.from_address = "hub@hub.test";
	cfg.ack.trusted_authserv_ids = trusted;
	return &cfg;
}

/* The verdict's reason for a message made of HEADERS and a short body, or "person". */
static char *reason_for(const char *headers)
{
	g_autofree char *text = g_strdup_printf("%s\nMessage-ID: <%u@sender.test>\n\nHello.\n",
						headers, g_random_int());
	g_autofree char *path = unit_temp_file(text);
	g_autoptr(GError) error = NULL;
	g_autoptr(OvMail) m = mail_parse_file(path, &error);
	g_assert_no_error(error);
	g_remove(path);
	struct verdict v;
	classify_mail(m, test_config(), &v);
	char *out = g_strdup(v.robot ? v.reason : "person");
	verdict_clear(&v);
	return out;
}

static void expect(const char *headers, const char *reason_prefix)
{
	g_autofree char *reason = reason_for(headers);
	if (!g_str_has_prefix(reason, reason_prefix))
		g_error("for %s\n expected '%s...', got '%s'", headers, reason_prefix, reason);
}

#define PERSON "From: Jane <jane@school.test>\nSubject: Partnership\n"

static void test_people(void)
{
	expect(PERSON, "person");
	expect(PERSON "Auto-Submitted: no\n", "person");
	expect("From: Jane <jane@school.test>\nSubject: Out of office hours singing club\n", "person");
	expect("From: Website <no-reply@school.test>\nReply-To: Jane <jane@school.test>\n"
	       "Subject: New form entry\n", "person");
	expect(PERSON "List-Id: Hub partners <partners.hub.test>\nPrecedence: list\n", "person");
	expect(PERSON "Authentication-Results: other.test; dmarc=fail\n", "person");
	expect(PERSON "X-Spam-Flag: NO\n", "person");
}

static void test_robots(void)
{
	expect(PERSON "Auto-Submitted: auto-replied\n", "auto-submitted: auto-replied");
	expect(PERSON "Auto-Submitted: Auto-Generated (vacation)\n", "auto-submitted:");
	expect(PERSON "Precedence: bulk\n", "precedence: bulk");
	expect(PERSON "X-Precedence: junk\n", "precedence: junk");
	expect(PERSON "List-Id: News <news.example.test>\n", "mailing list: List-Id");
	expect(PERSON "List-Unsubscribe: <mailto:u@x.test>\n", "mailing list: List-Unsubscribe");
	expect(PERSON "X-Autoreply: yes\n", "auto-reply header: X-Autoreply");
	expect(PERSON "X-Autorespond: yes\n", "auto-reply header");
	expect(PERSON "X-Auto-Response-Suppress: DR, OOF\n", "x-auto-response-suppress: OOF");
	expect("From: Jane <jane@school.test>\nSubject: Automatic reply: Partnership\n",
	       "out-of-office subject");
	expect(PERSON "Return-Path: <>\n", "null sender");
	expect("From: MAILER-DAEMON@mx.test (Mail Delivery System)\nSubject: Undelivered\n",
	       "role address: mailer-daemon@mx.test");
	expect("From: noreply@service.test\nSubject: Your receipt\n", "role address");
	expect("From: owner-choirs@lists.test\nSubject: x\n", "role address");
	expect("From: choirs-request@lists.test\nSubject: x\n", "role address");
	expect("From: Hub <HUB@hub.test>\nSubject: loop\n", "our own address");
	expect(PERSON "X-Spam-Flag: YES\n", "spam");
	expect(PERSON "Authentication-Results: mx.hub.test; spf=pass; dmarc=fail (p=reject)\n",
	       "dmarc=fail according to mx.hub.test");
	expect(PERSON "MIME-Version: 1.0\n"
		      "Content-Type: multipart/report; report-type=delivery-status; boundary=b\n",
	       "report: delivery-status");
}

static void test_own_message_ids(void)
{
	g_assert_true(classify_is_own_message_id("overture.1234@hub.test", "hub.test"));
	g_assert_false(classify_is_own_message_id("overture.1234@other.test", "hub.test"));
	g_assert_false(classify_is_own_message_id("1234@hub.test", "hub.test"));
	g_assert_true(classify_is_role_address("Postmaster@x.test"));
	g_assert_true(classify_is_role_address("do-not-reply+123@x.test"));
	g_assert_false(classify_is_role_address("jane@school.test"));
	g_assert_false(classify_is_role_address("info@choir.test"));
}

void add_classify_tests(void)
{
	g_test_add_func("/classify/people", test_people);
	g_test_add_func("/classify/robots", test_robots);
	g_test_add_func("/classify/own-message-ids", test_own_message_ids);
}
