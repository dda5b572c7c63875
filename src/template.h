/* Templates: text with {{name}} placeholders, {{#name}}...{{/name}} sections shown only
 * when name has a value, and {{^name}}...{{/name}} sections shown only when it has none.
 * A name the caller did not provide is an error, so a typo in a template is found by
 * `overture check`, not by a partner. Pure: returns new strings (g_free). */
#ifndef OVERTURE_TEMPLATE_H
#define OVERTURE_TEMPLATE_H

#include <glib.h>

enum template_escape {
	TEMPLATE_PLAIN,
	TEMPLATE_HTML, /* values are HTML-escaped */
};

/* Renders TMPL with VARS (name -> value; "" means known but empty). */
char *template_render(const char *tmpl, GHashTable *vars, enum template_escape escape,
		      GError **error);

#endif
