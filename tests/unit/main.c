/* Runs every unit test group. */
#include "unit.h"

#include <glib/gstdio.h>
#include <gmime/gmime.h>
#include <unistd.h>

char *unit_temp_file(const char *text)
{
	char *path = NULL;
	int fd = g_file_open_tmp("overture-unit-XXXXXX", &path, NULL);
	g_assert_cmpint(fd, >=, 0);
	close(fd);
	g_assert_true(g_file_set_contents(path, text, -1, NULL));
	return path;
}

void unit_remove_dir(const char *dir)
{
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	const char *name;
	while (d && (name = g_dir_read_name(d))) {
		g_autofree char *path = g_build_filename(dir, name, NULL);
		g_remove(path);
	}
	g_rmdir(dir);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_mime_init();
	add_template_tests();
	add_header_tests();
	add_text_tests();
	add_config_tests();
	add_fingerprint_tests();
	add_classify_tests();
	add_json_tests();
	add_table_tests();
	add_outbox_tests();
	add_extract_tests();
	int status = g_test_run();
	g_mime_shutdown();
	return status;
}
