/* JSON output: escaping and commas in nested containers. */
#include "json.h"
#include "unit.h"

static void test_document(void)
{
	struct json j;
	json_init(&j);
	json_begin_array(&j);
	json_begin_object(&j);
	json_member_string(&j, "name", "Zoë \"Z\" \\ \n\t\x01");
	json_member_int(&j, "n", -5);
	json_member_bool(&j, "ok", TRUE);
	json_member_string(&j, "none", NULL);
	json_key(&j, "list");
	json_list(&j, "inclusion, schools,");
	json_member_time(&j, "at", 1795305600);
	json_member_time(&j, "never", 0);
	json_end_object(&j);
	json_begin_object(&j);
	json_end_object(&j);
	json_end_array(&j);
	g_autofree char *out = json_finish(&j);
	g_assert_cmpstr(out, ==,
			"[{\"name\":\"Zoë \\\"Z\\\" \\\\ \\n\\t\\u0001\",\"n\":-5,\"ok\":true,"
			"\"none\":null,\"list\":[\"inclusion\",\"schools\"],"
			"\"at\":\"2026-11-22T00:00:00Z\",\"never\":null},{}]\n");
}

void add_json_tests(void)
{
	g_test_add_func("/json/document", test_document);
}
