/* Configuration values and the errors a mistyped file gets. */
#include "config.h"
#include "unit.h"

#include <glib/gstdio.h>
#include <string.h>

static void test_durations_and_sizes(void)
{
	gint64 v;
	g_assert_true(config_parse_duration("90", &v) && v == 90);
	g_assert_true(config_parse_duration("15m", &v) && v == 900);
	g_assert_true(config_parse_duration("2h", &v) && v == 7200);
	g_assert_true(config_parse_duration("5d", &v) && v == 432000);
	g_assert_false(config_parse_duration("5 days", &v));
	g_assert_false(config_parse_duration("-1", &v));
	g_assert_false(config_parse_duration("1d # comment", &v));
	g_assert_true(config_parse_size("50M", &v) && v == 50 * 1024 * 1024);
	g_assert_true(config_parse_size("512k", &v) && v == 512 * 1024);
	g_assert_true(config_parse_size("1GB", &v) && v == 1024LL * 1024 * 1024);
	g_assert_false(config_parse_size("lots", &v));
	g_auto(GStrv) list = config_parse_list(" DE, S ,, SK ");
	g_assert_cmpuint(g_strv_length(list), ==, 3);
	g_assert_cmpstr(list[0], ==, "DE");
	g_assert_cmpstr(list[2], ==, "SK");
}

/* A complete config in DIR, with the first FROM replaced by TO when FROM is given. */
static char *write_conf(const char *dir, const char *from, const char *to)
{
	g_autofree char *pw = g_build_filename(dir, "pw", NULL);
	g_file_set_contents(pw, "s3cret\n", -1, NULL);
	g_chmod(pw, 0600);
	g_autofree char *text = g_strdup_printf(
		"[hub]\nname = Test Hub\naddress = hub@hub.test\n"
		"[imap]\nurl = imaps://127.0.0.1/INBOX\nuser = hub@hub.test\npassword_file = pw\n"
		"[smtp]\nurl = smtp://127.0.0.1:587\nfrom = Test Hub <hub@hub.test>\n"
		"[store]\npath = data/o.db\n[ack]\ntemplates = %s\n",
		dir);
	g_autoptr(GString) s = g_string_new(text);
	if (from)
		g_string_replace(s, from, to, 1);
	char *path = g_build_filename(dir, "overture.conf", NULL);
	g_file_set_contents(path, s->str, -1, NULL);
	return path;
}

static void expect_config_error(const char *from, const char *to, const char *fragment)
{
	g_autofree char *dir = g_dir_make_tmp("overture-conf-XXXXXX", NULL);
	g_autofree char *path = write_conf(dir, from, to);
	g_autoptr(GError) error = NULL;
	g_autoptr(OvConfig) cfg = config_load(path, CONFIG_SECRETS, &error);
	g_assert_null(cfg);
	g_assert_nonnull(error);
	if (!strstr(error->message, fragment))
		g_error("'%s' not in '%s'", fragment, error->message);
	g_assert_nonnull(strstr(error->message, path)); /* always names the file */
	unit_remove_dir(dir);
}

static void test_load(void)
{
	g_autofree char *dir = g_dir_make_tmp("overture-conf-XXXXXX", NULL);
	g_autofree char *path = write_conf(dir, NULL, NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(OvConfig) cfg = config_load(path, CONFIG_SECRETS, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(cfg->imap.password, ==, "s3cret");
	g_assert_cmpstr(cfg->hub.domain, ==, "hub.test");
	g_assert_cmpstr(cfg->smtp.from_name, ==, "Test Hub");
	g_assert_cmpint(cfg->imap.poll_interval, ==, 60);
	g_assert_cmpint(cfg->imap.after_filing, ==, AFTER_FILING_SEEN);
	g_assert_true(g_str_has_prefix(cfg->store.path, dir)); /* relative to the config */
	g_assert_cmpint(cfg->smtp.give_up_after, ==, 5 * 86400);
	unit_remove_dir(dir);
}

static void test_errors(void)
{
	expect_config_error("[imap]\n", "[imap]\npoll_intervall = 5\n", "[imap] poll_intervall: unknown key");
	expect_config_error("[imap]\n", "[imap]\npoll_interval = often\n", "is not a duration");
	expect_config_error("address = hub@hub.test", "address = the hub", "[hub] address");
	expect_config_error("name = Test Hub\n", "", "[hub] name: missing");
	expect_config_error("imaps://127.0.0.1/INBOX", "http://127.0.0.1/", "[imap] url");
	expect_config_error("imaps://127.0.0.1/INBOX", "imaps://user:pw@127.0.0.1/", "password_file");
	expect_config_error("password_file = pw", "password_file = missing", "[imap] password_file");
	expect_config_error("[imap]\n", "[imap]\nafter_filing = delete\n", "keep, seen or move:Folder");
}

static void test_world_readable_password(void)
{
	g_autofree char *dir = g_dir_make_tmp("overture-conf-XXXXXX", NULL);
	g_autofree char *path = write_conf(dir, NULL, NULL);
	g_autofree char *pw = g_build_filename(dir, "pw", NULL);
	g_chmod(pw, 0644);
	g_autoptr(GError) error = NULL;
	g_autoptr(OvConfig) cfg = config_load(path, CONFIG_SECRETS, &error);
	g_assert_null(cfg);
	g_assert_nonnull(strstr(error->message, "readable by every user"));
	g_assert_null(strstr(error->message, "s3cret"));
	/* The review commands never read password files. */
	g_clear_error(&error);
	g_autoptr(OvConfig) ro = config_load(path, CONFIG_STORE_ONLY, &error);
	g_assert_no_error(error);
	g_assert_null(ro->imap.password);
	unit_remove_dir(dir);
}

void add_config_tests(void)
{
	g_test_add_func("/config/durations-and-sizes", test_durations_and_sizes);
	g_test_add_func("/config/load", test_load);
	g_test_add_func("/config/errors", test_errors);
	g_test_add_func("/config/world-readable-password", test_world_readable_password);
}
