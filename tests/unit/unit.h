/* Unit tests for Overture's pure functions, run with GLib's GTest (one binary). */
#ifndef OVERTURE_UNIT_H
#define OVERTURE_UNIT_H

#include <glib.h>

void add_template_tests(void);
void add_header_tests(void);
void add_text_tests(void);
void add_config_tests(void);
void add_fingerprint_tests(void);
void add_classify_tests(void);
void add_json_tests(void);
void add_table_tests(void);
void add_outbox_tests(void);
void add_extract_tests(void);

/* Writes TEXT to a new temporary file and returns its path (g_free; unlink when done). */
char *unit_temp_file(const char *text);

/* Removes DIR and the files in it (no subdirectories expected). */
void unit_remove_dir(const char *dir);

#endif
