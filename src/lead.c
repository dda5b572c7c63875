/* Lead vocabulary and its canonical forms. */
#include "lead.h"

#include "error.h"

#include <string.h>

const char *const lead_statuses[] = {"new",	 "reviewing", "contacted",   "partner",
				     "declined", "spam",      "quarantined", NULL};
const char *const lead_org_types[] = {
	"school",	     "academy_trust",	   "early_years",	"community_organisation",
	"arts_organisation", "venue",		   "local_authority",	"music_hub",
	"higher_education",  "further_education",  "industry",		"retailer",
	"freelancer",	     "other",		   NULL};
const char *const lead_functions[] = {"partnerships", "schools", "progression", "inclusion",
				      "sustainability", NULL};

gboolean lead_is_status(const char *s)
{
	return s && g_strv_contains(lead_statuses, s);
}

gboolean lead_is_settable_status(const char *s)
{
	return lead_is_status(s) && strcmp(s, "quarantined");
}

gboolean lead_is_org_type(const char *s)
{
	return s && g_strv_contains(lead_org_types, s);
}

char *lead_words(const char *const *words)
{
	return g_strjoinv(", ", (char **)words);
}

char *lead_functions_canonical(const char *text, GError **error)
{
	gboolean chosen[G_N_ELEMENTS(lead_functions)] = {FALSE};
	g_auto(GStrv) words = g_strsplit_set(text ? text : "", ", ", -1);
	for (char **w = words; *w; w++) {
		if (!**w)
			continue;
		g_autofree char *lower = g_ascii_strdown(*w, -1);
		gboolean known = FALSE;
		for (gsize i = 0; lead_functions[i]; i++)
			if (!strcmp(lower, lead_functions[i]))
				known = chosen[i] = TRUE;
		if (!known) {
			g_autofree char *all = lead_words(lead_functions);
			g_set_error(error, OV_ERROR, OV_ERROR_INPUT,
				    "'%s' is not one of the strategic functions (%s)", *w, all);
			return NULL;
		}
	}
	GString *out = g_string_new(NULL);
	for (gsize i = 0; lead_functions[i]; i++)
		if (chosen[i])
			g_string_append_printf(out, "%s%s", out->len ? "," : "", lead_functions[i]);
	return g_string_free(out, FALSE);
}
