/* The retry schedule of the outbox. */
#include "outbox.h"
#include "unit.h"

static void test_backoff(void)
{
	g_assert_cmpint(outbox_backoff(60, 1), ==, 60);
	g_assert_cmpint(outbox_backoff(60, 2), ==, 120);
	g_assert_cmpint(outbox_backoff(60, 3), ==, 240);
	g_assert_cmpint(outbox_backoff(60, 7), ==, 3600); /* capped at an hour */
	g_assert_cmpint(outbox_backoff(60, 100), ==, 3600);
	g_assert_cmpint(outbox_backoff(7200, 3), ==, 7200); /* a longer base is its own cap */
	g_assert_cmpint(outbox_backoff(0, 1), ==, 1);
}

void add_outbox_tests(void)
{
	g_test_add_func("/outbox/backoff", test_backoff);
}
