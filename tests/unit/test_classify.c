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
	g_autoptr(OvMail) m = mail_parse_file(path, NULL, &error);
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
	expect("Subject: no From at all\n", "person"); /* filed; the ack is withheld later */
	expect("From: Jane <jane@school.test>\nSubject: Out of office hours: a new club\n", "person");
	expect("From: Jane <jane@school.test>\nSubject: Re: Automatic reply settings\n", "person");
	expect(PERSON "X-Loop: someone-else@list.test\n", "person");
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
	       "automatic reply subject");
	expect("From: Jane <jane@school.test>\nSubject: Out of Office AutoReply: Partnership\n",
	       "automatic reply subject");
	expect("From: Jane <jane@school.test>\nSubject: AUTO: Jane Smith is out of the office\n",
	       "automatic reply subject");
	expect("From: Jane <jane@school.test>\nSubject: Automatische Antwort: Anfrage\n",
	       "automatic reply subject");
	expect("From: Jane <jane@school.test>\nSubject: =?UTF-8?Q?R=C3=A9ponse_automatique_:_absent?=\n",
	       "automatic reply subject");
	expect(PERSON "X-Loop: hub@hub.test\n", "x-loop");
	expect("From: owner@bugs.example.test\nSubject: Processed: reassign\n", "role address");
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

static void test_dsn(void)
{
	const char *report = "Reporting-MTA: dns; mx.hub.test\n"
			     "X-Postfix-Queue-ID: 1234\n"
			     "Arrival-Date: Sun, 22 Nov 2026 10:00:00 +0000\n"
			     "\n"
			     "Final-Recipient: rfc822; ok@partner.test\n"
			     "Action: delivered\n"
			     "Status: 2.0.0\n"
			     "\n"
			     "Final-Recipient: rfc822; nobody@bounce.test\n"
			     "Original-Recipient: rfc822;nobody@bounce.test\n"
			     "Action: failed\n"
			     "Status: 5.1.1\n"
			     "Diagnostic-Code: X-Postfix; mailbox does not\n"
			     "    exist\n";
	struct dsn d;
	g_assert_true(classify_parse_dsn(report, &d));
	g_assert_cmpstr(d.action, ==, "failed");
	g_assert_cmpstr(d.status, ==, "5.1.1");
	g_assert_cmpstr(d.final_recipient, ==, "nobody@bounce.test");
	g_assert_cmpstr(d.diagnostic, ==, "mailbox does not    exist");
	dsn_clear(&d);
	g_assert_true(classify_parse_dsn("Final-Recipient: rfc822; a@b.test\r\nAction: Delayed\r\n"
					 "Status: 4.4.1\r\n", &d));
	g_assert_cmpstr(d.action, ==, "delayed");
	g_assert_cmpstr(d.status, ==, "4.4.1");
	dsn_clear(&d);
	g_assert_false(classify_parse_dsn("just some text\n", &d));
	g_assert_false(classify_parse_dsn(NULL, &d));
}

static void test_own_ids_in_text(void)
{
	g_autoptr(GPtrArray) ids = classify_own_ids_in_text(
		"> Message-Id: <overture.0c297997-82e4-4bf0-85f0-1d78448527da@hub.test>\n"
		"again overture.0C297997-82E4-4BF0-85F0-1D78448527DA@HUB.TEST and "
		"overture.11111111-2222-3333-4444-555555555555@other.test",
		"hub.test");
	g_assert_cmpuint(ids->len, ==, 1);
	g_assert_cmpstr(ids->pdata[0], ==, "overture.0c297997-82e4-4bf0-85f0-1d78448527da@hub.test");
}

void add_classify_tests(void)
{
	g_test_add_func("/classify/dsn", test_dsn);
	g_test_add_func("/classify/own-ids-in-text", test_own_ids_in_text);
	g_test_add_func("/classify/people", test_people);
	g_test_add_func("/classify/robots", test_robots);
	g_test_add_func("/classify/own-message-ids", test_own_message_ids);
}
