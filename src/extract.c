/* Lead fields from an enquiry. The order of sources is the order of trust: a web form's
 * labelled field, then the signature, then what the message says, then the headers and
 * the mail domain. Every rule that is about words lives in the rules file; this file
 * holds the structure: where a form's labels, a signature or a forwarded message are. */
#include "extract.h"

#include "error.h"
#include "classify.h"
#include "header.h"
#include "lead.h"
#include "text.h"

#include <string.h>

#define MAX_SIGNATURE_LINES 12
#define UNSIGNED_TAIL_LINES 8 /* no sign-off: the last lines may still sign */
#define MAX_LABEL_WORDS 8
#define MAX_TEXT_BYTES (64 * 1024) /* an enquiry says who and what well before this */

/* ---- the rules file ---- */

struct named_patterns {
	char *name;	    /* a field, a type or a function */
	GPtrArray *regexes; /* GRegex * */
};

struct named_words {
	char *name;
	char **words; /* lower case */
};

struct extract_rules {
	GPtrArray *labels;	    /* struct named_patterns *, per form field */
	GPtrArray *spellings;	    /* struct named_words *, per form field */
	GPtrArray *ignore_lines;    /* GRegex * */
	GPtrArray *signoffs;
	GPtrArray *roles;
	GPtrArray *titles;
	GPtrArray *org_words;
	GPtrArray *address;
	GPtrArray *org_types;	    /* struct named_patterns *, in order */
	GPtrArray *org_type_self;
	GPtrArray *org_type_domains;
	GPtrArray *org_type_values;
	GPtrArray *functions;
	GPtrArray *not_partnership; /* GRegex * */
	GPtrArray *role_names;
	GHashTable *webmail;	    /* domain -> itself */
};

static void named_patterns_free(gpointer p)
{
	struct named_patterns *n = p;
	g_free(n->name);
	g_ptr_array_unref(n->regexes);
	g_free(n);
}

static void named_words_free(gpointer p)
{
	struct named_words *n = p;
	g_free(n->name);
	g_strfreev(n->words);
	g_free(n);
}

/* The pattern lists of the rules, each read from [SECTION] KEY. */
static const struct {
	const char *section, *key;
	gsize offset;
} single_keys[] = {
	{"ignore_lines", "patterns", G_STRUCT_OFFSET(struct extract_rules, ignore_lines)},
	{"signoffs", "lines", G_STRUCT_OFFSET(struct extract_rules, signoffs)},
	{"roles", "words", G_STRUCT_OFFSET(struct extract_rules, roles)},
	{"titles", "words", G_STRUCT_OFFSET(struct extract_rules, titles)},
	{"organisation_words", "words", G_STRUCT_OFFSET(struct extract_rules, org_words)},
	{"address", "patterns", G_STRUCT_OFFSET(struct extract_rules, address)},
	{"not_partnership", "patterns", G_STRUCT_OFFSET(struct extract_rules, not_partnership)},
	{"role_names", "patterns", G_STRUCT_OFFSET(struct extract_rules, role_names)},
};

static const char *const form_fields[] = {"name",     "first_name", "last_name", "organisation",
					  "org_type", "email",	    "phone",	 "website",
					  "postcode", "role",	    "functions", "message",
					  NULL};

/* The sections whose keys name something: a form field, a type, a function. */
static const struct {
	const char *section;
	gsize offset;
	const char *const *names;
} named_sections[] = {
	{"labels", G_STRUCT_OFFSET(struct extract_rules, labels), form_fields},
	{"org_type", G_STRUCT_OFFSET(struct extract_rules, org_types), lead_org_types},
	{"org_type_self", G_STRUCT_OFFSET(struct extract_rules, org_type_self), lead_org_types},
	{"org_type_domains", G_STRUCT_OFFSET(struct extract_rules, org_type_domains), lead_org_types},
	{"org_type_values", G_STRUCT_OFFSET(struct extract_rules, org_type_values), lead_org_types},
	{"functions", G_STRUCT_OFFSET(struct extract_rules, functions), lead_functions},
};

#define RULE_ARRAY(r, offset) G_STRUCT_MEMBER(GPtrArray *, (r), (offset))

void extract_rules_free(struct extract_rules *r)
{
	if (!r)
		return;
	for (gsize i = 0; i < G_N_ELEMENTS(single_keys); i++)
		g_clear_pointer(&RULE_ARRAY(r, single_keys[i].offset), g_ptr_array_unref);
	for (gsize i = 0; i < G_N_ELEMENTS(named_sections); i++)
		g_clear_pointer(&RULE_ARRAY(r, named_sections[i].offset), g_ptr_array_unref);
	g_clear_pointer(&r->spellings, g_ptr_array_unref);
	g_clear_pointer(&r->webmail, g_hash_table_unref);
	g_free(r);
}

/* Splits a raw value at ';' (a '\;' stays a ';'). */
static char **split_patterns(const char *raw)
{
	GPtrArray *out = g_ptr_array_new();
	GString *cur = g_string_new(NULL);
	for (const char *p = raw;; p++) {
		if (*p == '\\' && p[1] == ';') {
			g_string_append_c(cur, ';');
			p++;
		} else if (*p == ';' || !*p) {
			char *item = g_strstrip(g_strdup(cur->str));
			if (*item)
				g_ptr_array_add(out, item);
			else
				g_free(item);
			g_string_truncate(cur, 0);
			if (!*p)
				break;
		} else {
			g_string_append_c(cur, *p);
		}
	}
	g_string_free(cur, TRUE);
	g_ptr_array_add(out, NULL);
	return (char **)g_ptr_array_free(out, FALSE);
}

/* The compiled patterns of SECTION.KEY; NULL with an error naming them. */
static GPtrArray *compile_key(GKeyFile *kf, const char *file, const char *section,
			      const char *key, GError **error)
{
	g_autofree char *raw = g_key_file_get_value(kf, section, key, NULL);
	if (!raw) {
		g_set_error(error, OV_ERROR, OV_ERROR_CONFIG, "%s: [%s] %s: missing", file, section,
			    key);
		return NULL;
	}
	g_auto(GStrv) patterns = split_patterns(raw);
	GPtrArray *regexes = g_ptr_array_new_with_free_func((GDestroyNotify)g_regex_unref);
	for (char **p = patterns; *p; p++) {
		GError *local = NULL;
		GRegex *re = g_regex_new(*p, G_REGEX_CASELESS | G_REGEX_OPTIMIZE, 0, &local);
		if (!re) {
			g_set_error(error, OV_ERROR, OV_ERROR_CONFIG, "%s: [%s] %s: pattern '%s': %s",
				    file, section, key, *p, local->message);
			g_error_free(local);
			g_ptr_array_unref(regexes);
			return NULL;
		}
		g_ptr_array_add(regexes, re);
	}
	return regexes;
}

static gboolean known_name(const char *name, const char *const *allowed, const char *file,
			   const char *section, GError **error)
{
	if (g_strv_contains(allowed, name))
		return TRUE;
	g_autofree char *all = g_strjoinv(", ", (char **)allowed);
	g_set_error(error, OV_ERROR, OV_ERROR_CONFIG, "%s: [%s] %s: not one of %s", file, section,
		    name, all);
	return FALSE;
}

/* Every key of SECTION, in file order, as named pattern lists; each key one of ALLOWED. */
static GPtrArray *compile_section(GKeyFile *kf, const char *file, const char *section,
				  const char *const *allowed, GError **error)
{
	g_auto(GStrv) keys = g_key_file_get_keys(kf, section, NULL, NULL);
	if (!keys) {
		g_set_error(error, OV_ERROR, OV_ERROR_CONFIG, "%s: section [%s] is missing", file,
			    section);
		return NULL;
	}
	g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(named_patterns_free);
	for (char **k = keys; *k; k++) {
		if (!known_name(*k, allowed, file, section, error))
			return NULL;
		GPtrArray *re = compile_key(kf, file, section, *k, error);
		if (!re)
			return NULL;
		struct named_patterns *n = g_new0(struct named_patterns, 1);
		n->name = g_strdup(*k);
		n->regexes = re;
		g_ptr_array_add(out, n);
	}
	return g_steal_pointer(&out);
}

static char **lower_words(GKeyFile *kf, const char *section, const char *key)
{
	g_autofree char *raw = g_key_file_get_value(kf, section, key, NULL);
	g_autofree char *lower = g_utf8_strdown(raw ? raw : "", -1);
	return split_patterns(lower);
}

static GPtrArray *read_spellings(GKeyFile *kf, const char *file, GError **error)
{
	g_auto(GStrv) keys = g_key_file_get_keys(kf, "spellings", NULL, NULL);
	g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(named_words_free);
	for (char **k = keys; k && *k; k++) {
		if (!known_name(*k, form_fields, file, "spellings", error))
			return NULL;
		struct named_words *n = g_new0(struct named_words, 1);
		n->name = g_strdup(*k);
		n->words = lower_words(kf, "spellings", *k);
		g_ptr_array_add(out, n);
	}
	return g_steal_pointer(&out);
}

struct extract_rules *extract_rules_load(const char *file, GError **error)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	GError *local = NULL;
	if (!g_key_file_load_from_file(kf, file, G_KEY_FILE_NONE, &local)) {
		g_set_error(error, OV_ERROR, OV_ERROR_CONFIG, "extraction rules %s: %s", file,
			    local->message);
		g_error_free(local);
		return NULL;
	}
	g_autoptr(OvExtractRules) r = g_new0(struct extract_rules, 1);
	for (gsize i = 0; i < G_N_ELEMENTS(single_keys); i++)
		if (!(RULE_ARRAY(r, single_keys[i].offset) = compile_key(
			      kf, file, single_keys[i].section, single_keys[i].key, error)))
			return NULL;
	for (gsize i = 0; i < G_N_ELEMENTS(named_sections); i++)
		if (!(RULE_ARRAY(r, named_sections[i].offset) = compile_section(
			      kf, file, named_sections[i].section, named_sections[i].names, error)))
			return NULL;
	if (!(r->spellings = read_spellings(kf, file, error)))
		return NULL;
	g_auto(GStrv) domains = lower_words(kf, "webmail", "domains");
	r->webmail = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	for (char **d = domains; *d; d++)
		g_hash_table_add(r->webmail, g_strdup(*d));
	return g_steal_pointer(&r);
}

static gboolean any_match(GPtrArray *regexes, const char *text)
{
	for (guint i = 0; regexes && text && i < regexes->len; i++)
		if (g_regex_match(regexes->pdata[i], text, 0, NULL))
			return TRUE;
	return FALSE;
}

/* The first name in SECTION whose patterns match TEXT. */
static const char *first_named_match(GPtrArray *section, const char *text)
{
	for (guint i = 0; section && text && i < section->len; i++) {
		const struct named_patterns *n = section->pdata[i];
		if (any_match(n->regexes, text))
			return n->name;
	}
	return NULL;
}

/* Where the last match of REGEXES in TEXT ends, or -1. */
static gint last_match_end(GPtrArray *regexes, const char *text)
{
	gint end = -1;
	for (guint i = 0; i < regexes->len; i++) {
		g_autoptr(GMatchInfo) m = NULL;
		for (g_regex_match(regexes->pdata[i], text, 0, &m); g_match_info_matches(m);
		     g_match_info_next(m, NULL)) {
			gint from, to;
			if (g_match_info_fetch_pos(m, 0, &from, &to) && to > end)
				end = to;
		}
	}
	return end;
}

/* The name in SECTION whose words come last in TEXT: a name's head noun is its last
 * ("Church Choir" is a choir). Ties go to the name listed first. */
static const char *rightmost_named_match(GPtrArray *section, const char *text)
{
	const char *best = NULL;
	gint best_end = -1;
	for (guint i = 0; section && text && i < section->len; i++) {
		const struct named_patterns *n = section->pdata[i];
		gint end = last_match_end(n->regexes, text);
		if (end > best_end) {
			best_end = end;
			best = n->name;
		}
	}
	return best;
}

/* ---- normalisers ---- */

char *extract_phone(const char *text)
{
	static GRegex *re;
	if (!re)
		re = g_regex_new("(?:\\+\\s?\\d{2,3}[\\s.-]?(?:\\(0\\)\\s?)?|\\(?0)\\d[\\d\\s().-]{7,14}\\d",
				 G_REGEX_OPTIMIZE, 0, NULL);
	g_autoptr(GMatchInfo) m = NULL;
	if (!text || !g_regex_match(re, text, 0, &m))
		return NULL;
	g_autofree char *found = g_match_info_fetch(m, 0);
	gboolean plus = found[0] == '+';
	/* "+44 (0)1632": the (0) is not dialled from abroad. */
	GString *raw = g_string_new(found);
	g_string_replace(raw, "(0)", "", 0);
	GString *digits = g_string_new(NULL);
	for (const char *p = raw->str; *p; p++)
		if (g_ascii_isdigit(*p))
			g_string_append_c(digits, *p);
	g_string_free(raw, TRUE);
	char *out = NULL;
	if (plus && digits->len >= 9 && digits->len <= 15)
		out = g_strdup_printf("+%s", digits->str);
	else if (!plus && digits->str[0] == '0' && digits->len >= 10 && digits->len <= 11)
		out = g_strdup_printf("+44%s", digits->str + 1);
	g_string_free(digits, TRUE);
	return out;
}

char *extract_postcode(const char *text)
{
	static GRegex *re;
	if (!re)
		re = g_regex_new("\\b([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][ABD-HJLNP-UW-Z]{2})\\b",
				 G_REGEX_CASELESS | G_REGEX_OPTIMIZE, 0, NULL);
	g_autoptr(GMatchInfo) m = NULL;
	if (!text || !g_regex_match(re, text, 0, &m))
		return NULL;
	g_autofree char *out = g_match_info_fetch(m, 1);
	g_autofree char *in = g_match_info_fetch(m, 2);
	char *postcode = g_strdup_printf("%s %s", out, in);
	for (char *p = postcode; *p; p++)
		*p = g_ascii_toupper(*p);
	return postcode;
}

static gboolean is_social_or_mail(const char *url)
{
	static const char *const skip[] = {"facebook.", "twitter.", "x.com", "instagram.",
					   "linkedin.", "youtube.", "youtu.be", "tiktok.",
					   "mailto:", "aka.ms", "bit.ly", "google.com/maps",
					   "wa.me", "unsubscribe", "optout", "opt-out", "list-manage",
					   "utm_", NULL};
	for (const char *const *s = skip; *s; s++)
		if (strcasestr(url, *s))
			return TRUE;
	return FALSE;
}

static char *trim_url(char *url)
{
	gsize len = strlen(url);
	while (len && strchr(".,;:!?", url[len - 1]))
		url[--len] = '\0';
	return url;
}

char *extract_website(const char *text)
{
	static GRegex *re;
	if (!re)
		re = g_regex_new("\\b(?:https?://|www\\.)[^\\s<>\"'()\\[\\]]+",
				 G_REGEX_CASELESS | G_REGEX_OPTIMIZE, 0, NULL);
	g_autoptr(GMatchInfo) m = NULL;
	for (g_regex_match(re, text ? text : "", 0, &m); g_match_info_matches(m);
	     g_match_info_next(m, NULL)) {
		g_autofree char *url = trim_url(g_match_info_fetch(m, 0));
		if (is_social_or_mail(url) || strlen(url) < 8)
			continue;
		if (!g_ascii_strncasecmp(url, "www.", 4))
			return g_strconcat("https://", url, NULL);
		return g_steal_pointer(&url);
	}
	return NULL;
}

/* "https://shop.example.org/sale?x=1" -> "https://shop.example.org": a link in running
 * text is to a page; the organisation's website is the site's. Takes URL. */
static char *site_root(char *url)
{
	if (!url)
		return NULL;
	char *host = strstr(url, "://");
	char *slash = host ? strchr(host + 3, '/') : NULL;
	if (slash)
		*slash = '\0';
	return url;
}

/* A bare domain written as a web address ("foundrystudios.co.uk"), as signatures and
 * form fields have them; not in running text, where "signed up at x.co.uk" is common. */
static char *bare_website(const char *text)
{
	static GRegex *re;
	if (!re)
		re = g_regex_new("^(?:[a-z0-9-]+\\.)+(?:uk|com|org|net|info|io|co|biz|dance|music|"
				 "art|wales|scot|london|eu)(?:/\\S*)?$",
				 G_REGEX_CASELESS | G_REGEX_OPTIMIZE, 0, NULL);
	g_autofree char *t = g_strstrip(g_strdup(text ? text : ""));
	if (!g_regex_match(re, t, 0, NULL) || is_social_or_mail(t))
		return NULL;
	g_autofree char *lower = g_ascii_strdown(trim_url(t), -1);
	return g_strconcat("https://", lower, NULL);
}

/* Whether some character of S is one IS_CASE accepts (g_unichar_islower, ...isupper). */
static gboolean has_case(const char *s, gboolean (*is_case)(gunichar))
{
	for (const char *p = s; *p; p = g_utf8_next_char(p))
		if (is_case(g_utf8_get_char(p)))
			return TRUE;
	return FALSE;
}

/* Small words a name keeps in lower case ("Ysgol y Llan", "Bank of England"). */
static gboolean is_small_word(const char *w)
{
	static const char *const small[] = {"of", "the", "and", "for", "in", "on", "at", "a",
					    "y", "de", "la", "le", "du", "von", "van", "der",
					    "upon", "under", "&", "und", "et", NULL};
	g_autofree char *lower = g_utf8_strdown(w, -1);
	return g_strv_contains(small, lower);
}

/* "O'BRIEN-SMITH" -> "O'Brien-Smith", "MCDONALD" -> "McDonald". */
static char *title_case_word(const char *w, gboolean first)
{
	if (!first && is_small_word(w))
		return g_utf8_strdown(w, -1);
	GString *out = g_string_new(NULL);
	gboolean start = TRUE;
	for (const char *p = w; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		g_string_append_unichar(out, start ? g_unichar_toupper(c) : g_unichar_tolower(c));
		start = c == '-' || c == '.' || c == 0x2019 ||
			(c == '\'' && !(g_ascii_tolower(p[1]) == 's' &&
					 !g_unichar_isalpha(g_utf8_get_char(p + 2))));
	}
	if (g_str_has_prefix(out->str, "Mc") && out->len > 2)
		out->str[2] = g_ascii_toupper(out->str[2]);
	return g_string_free(out, FALSE);
}

static char *title_case(const char *s)
{
	g_auto(GStrv) words = g_strsplit(s, " ", -1);
	for (char **w = words; *w; w++) {
		char *cased = title_case_word(*w, w == words);
		g_free(*w);
		*w = cased;
	}
	return g_strjoinv(" ", words);
}

/* Applies title case to text written all in capitals or all in small letters. */
static char *fix_case(const char *s)
{
	if (has_case(s, g_unichar_islower) && has_case(s, g_unichar_isupper))
		return g_strdup(s);
	return title_case(s);
}

char *extract_clean_name(const char *name)
{
	if (!name)
		return NULL;
	g_autofree char *clean = header_clean(name, 120);
	/* "Sophie at Notable", "Jane Smith (Office)", "Jane Smith via Jotform" */
	static const char *const cuts[] = {"(", " at ", " via ", " from ", " | ", NULL};
	for (const char *const *c = cuts; *c; c++) {
		char *at = strstr(clean, *c);
		if (at && at != clean)
			*at = '\0';
	}
	g_strstrip(g_strdelimit(clean, "\"", ' '));
	if (!*clean || strchr(clean, '@') || strpbrk(clean, "0123456789<>:/"))
		return NULL;
	/* "Smith, Jane" -> "Jane Smith" */
	g_auto(GStrv) parts = g_strsplit(clean, ",", -1);
	g_autofree char *ordered = NULL;
	if (g_strv_length(parts) == 2 && *g_strstrip(parts[0]) && *g_strstrip(parts[1]) &&
	    !strchr(parts[0], ' ') && strlen(parts[1]) < 40)
		ordered = g_strdup_printf("%s %s", parts[1], parts[0]);
	else if (g_strv_length(parts) > 1)
		return NULL; /* a list, not a name */
	else
		ordered = g_strdup(clean);
	g_autofree char *squeezed = header_clean(ordered, 120);
	return fix_case(squeezed);
}

char *extract_org_key(const char *organisation)
{
	static const char *const dropped[] = {"the", "of", "and", "c", "e", "ce", "cofe", "school",
					      "ltd", "limited", "cic", "plc", "inc", NULL};
	if (!organisation || !*organisation)
		return NULL;
	g_autofree char *ascii = g_str_to_ascii(organisation, "C");
	g_autofree char *lower = g_ascii_strdown(ascii, -1);
	GString *plain = g_string_new(NULL);
	for (const char *p = lower; *p; p++) {
		if (*p == '&')
			g_string_append(plain, " and ");
		else if (*p == '\'' || *p == '`')
			continue; /* St Mary's = St Marys */
		else
			g_string_append_c(plain, g_ascii_isalnum(*p) ? *p : ' ');
	}
	g_auto(GStrv) words = g_strsplit(plain->str, " ", -1);
	g_string_free(plain, TRUE);
	GString *key = g_string_new(NULL);
	for (char **w = words; *w; w++) {
		if (!**w || g_strv_contains(dropped, *w))
			continue;
		g_string_append_printf(key, "%s%s", key->len ? " " : "",
				       !strcmp(*w, "saint") ? "st" : *w);
	}
	return key->len ? g_string_free(key, FALSE) : (g_string_free(key, TRUE), NULL);
}

/* ---- the applicant's own text ---- */

static guint word_count(const char *s)
{
	guint n = 0;
	gboolean in = FALSE;
	for (const char *p = s; *p; p++) {
		gboolean space = *p == ' ' || *p == '\t';
		n += !space && !in;
		in = !space;
	}
	return n;
}

/* TEXT without the lines the rules say are the mailer's (form footers, "Sent from my
 * iPhone"). */
static char *drop_ignored_lines(const struct extract_rules *r, const char *text)
{
	g_auto(GStrv) lines = g_strsplit(text ? text : "", "\n", -1);
	GString *out = g_string_new(NULL);
	for (char **l = lines; *l; l++) {
		g_autofree char *line = g_strstrip(g_strdup(*l));
		if (!any_match(r->ignore_lines, line))
			g_string_append_printf(out, "%s\n", *l);
	}
	return g_string_free(out, FALSE);
}

/* ---- web forms ---- */

/* The optimal string alignment distance between A and B (a swap of two neighbours
 * counts once): how far a label typed with a slip is from its usual spelling. */
static guint edit_distance(const char *a, const char *b)
{
	gsize la = strlen(a), lb = strlen(b);
	g_autofree guint *rows = g_new0(guint, 3 * (lb + 1));
	guint *two_back = rows, *prev = rows + lb + 1, *cur = rows + 2 * (lb + 1);
	for (gsize j = 0; j <= lb; j++)
		prev[j] = j;
	for (gsize i = 1; i <= la; i++) {
		cur[0] = i;
		for (gsize j = 1; j <= lb; j++) {
			guint cost = a[i - 1] != b[j - 1];
			guint best = MIN(MIN(prev[j] + 1, cur[j - 1] + 1), prev[j - 1] + cost);
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
				best = MIN(best, two_back[j - 2] + 1);
			cur[j] = best;
		}
		guint *t = two_back;
		two_back = prev;
		prev = cur;
		cur = t;
	}
	return prev[lb];
}

/* WORD and SPELLING differ by no more than a slip: none in short words, one from four
 * letters, two from eight. */
static gboolean near_word(const char *word, const char *spelling)
{
	gsize len = strlen(spelling);
	guint allowed = len >= 8 ? 2 : len >= 4 ? 1 : 0;
	return edit_distance(word, spelling) <= allowed;
}

/* The field whose usual spelling LABEL is, give or take a slip in each word. */
static const char *misspelt_label(const struct extract_rules *r, const char *label)
{
	g_autofree char *lower = g_utf8_strdown(label, -1);
	g_auto(GStrv) words = g_strsplit(lower, " ", -1);
	guint n = g_strv_length(words);
	for (guint i = 0; i < r->spellings->len; i++) {
		const struct named_words *field = r->spellings->pdata[i];
		for (char **s = field->words; *s; s++) {
			g_auto(GStrv) usual = g_strsplit(*s, " ", -1);
			gboolean near = g_strv_length(usual) == n;
			for (guint k = 0; near && k < n; k++)
				near = near_word(words[k], usual[k]);
			if (near)
				return field->name;
		}
	}
	return NULL;
}

/* A label without its decoration: "--- Name ---", "Email *", "Phone:". */
static char *label_text(const char *s, gsize len)
{
	static const char decoration[] = "-=*#_:?>|[]() ";
	g_autofree char *raw = g_strndup(s, len);
	char *start = raw;
	while (*start && strchr(decoration, *start))
		start++;
	gsize n = strlen(start);
	while (n && strchr(decoration, start[n - 1]))
		start[--n] = '\0';
	return header_clean(start, 80);
}

static const char *label_field(const struct extract_rules *r, const char *label)
{
	if (!*label || strlen(label) > 70 || word_count(label) > MAX_LABEL_WORDS)
		return NULL;
	const char *field = first_named_match(r->labels, label);
	return field ? field : misspelt_label(r, label);
}

/* The field LINE labels, or NULL. *VALUE is what follows the label on the line (after
 * ':' or a tab), or NULL when the line is the label alone. */
static const char *read_label(const struct extract_rules *r, const char *line, const char **value)
{
	*value = NULL;
	const char *sep = strpbrk(line, ":\t");
	if (sep && sep > line) {
		g_autofree char *label = label_text(line, sep - line);
		const char *field = label_field(r, label);
		if (field) {
			const char *v = sep + 1;
			while (*v == ' ' || *v == '\t' || *v == ':')
				v++;
			*value = v;
			return field;
		}
	}
	g_autofree char *label = label_text(line, strlen(line));
	return label_field(r, label);
}

static gboolean is_label_line(const struct extract_rules *r, const char *line)
{
	const char *value;
	return read_label(r, line, &value) != NULL;
}

static void add_form_value(GHashTable *form, const char *field, const char *value)
{
	g_autofree char *clean = header_clean(value, 4000);
	if (!*clean || g_hash_table_contains(form, field))
		return;
	g_hash_table_insert(form, g_strdup(field), g_steal_pointer(&clean));
}

/* The value of the field labelled on LINES[I], from LINES[I] itself or the lines below;
 * *NEXT is the first line not read. */
static char *form_value(const struct extract_rules *r, char **lines, guint i, const char *field,
			const char *inline_value, guint *next)
{
	gboolean many = !strcmp(field, "message") || !strcmp(field, "functions");
	const char *joiner = !strcmp(field, "functions") ? ", " : " ";
	GString *v = g_string_new(inline_value);
	guint k = i + 1;
	if (!inline_value || !*inline_value) {
		/* The value below the label, after at most two blank lines. */
		for (guint blanks = 0; lines[k] && !*g_strstrip(lines[k]) && blanks < 2; blanks++)
			k++;
		if (lines[k] && *lines[k] && !is_label_line(r, lines[k]))
			g_string_append(v, lines[k++]);
	}
	while (many && v->len && lines[k] && *g_strstrip(lines[k]) && !is_label_line(r, lines[k]))
		g_string_append_printf(v, "%s%s", joiner, lines[k++]);
	*next = k;
	return g_string_free(v, FALSE);
}

/* Form fields in TEXT: "Label: value" lines, "Label<TAB>value" rows (HTML tables), and
 * a label alone on a line with its value below. Field name -> value. */
static GHashTable *parse_form(const struct extract_rules *r, const char *text)
{
	GHashTable *form = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	g_auto(GStrv) lines = g_strsplit(text ? text : "", "\n", -1);
	for (guint i = 0; lines[i];) {
		const char *line = g_strstrip(lines[i]);
		const char *inline_value;
		const char *field = *line ? read_label(r, line, &inline_value) : NULL;
		if (!field) {
			i++;
			continue;
		}
		guint next;
		g_autofree char *value = form_value(r, lines, i, field, inline_value, &next);
		add_form_value(form, field, value);
		i = next;
	}
	return form;
}

/* A web form names who sent it and how to reach them: a signature's "Tel:" and
 * "Email:" lines alone are no form. */
static gboolean is_form(GHashTable *form)
{
	gboolean contact = g_hash_table_contains(form, "email") || g_hash_table_contains(form, "phone");
	gboolean who = g_hash_table_contains(form, "name") ||
		       g_hash_table_contains(form, "first_name") ||
		       g_hash_table_contains(form, "organisation") ||
		       g_hash_table_contains(form, "message");
	return contact && who;
}

/* ---- names, roles and organisations ---- */

static gboolean is_pronoun(const char *word)
{
	static const char *const pronouns[] = {"i", "we", "it", "this", "that", "there", "our",
					       "my", "he", "she", "they", "here", "hello", "hi",
					       "dear", "you", "your", "thanks", NULL};
	g_autofree char *lower = g_utf8_strdown(word, -1);
	return g_strv_contains(pronouns, lower);
}

/* Every word starts with a capital (or a digit, or is '&'), but the small words of
 * names: "Ysgol y Llan", "Bank of England". */
static gboolean capitalised_words(const char *text)
{
	g_auto(GStrv) words = g_strsplit(text, " ", -1);
	guint n = 0;
	for (char **w = words; *w; w++) {
		if (!**w)
			continue;
		gunichar c = g_utf8_get_char(*w);
		if (!g_unichar_isupper(c) && !g_unichar_isdigit(c) && strcmp(*w, "&") &&
		    !(n > 0 && is_small_word(*w)))
			return FALSE;
		n++;
	}
	return n > 0;
}

static gboolean has_org_words(const struct extract_rules *r, const char *text)
{
	return any_match(r->org_words, text) || first_named_match(r->org_types, text);
}

static gboolean looks_like_organisation(const struct extract_rules *r, const char *text)
{
	return text && *text && strlen(text) <= 90 && !strchr(text, '@') &&
	       !any_match(r->address, text) && capitalised_words(text) && has_org_words(r, text);
}

/* "Head of Music", "Band Secretary", "Senior Lecturer in Music Education": a role noun
 * last, or before the first "of", "in", "for" or "at". */
static gboolean is_role_phrase(const struct extract_rules *r, const char *text)
{
	g_auto(GStrv) words = g_strsplit(text, " ", -1);
	guint n = g_strv_length(words);
	if (n == 0 || n > 7)
		return FALSE;
	for (char **w = words; *w; w++)
		g_strstrip(g_strdelimit(*w, ".,;:", ' '));
	if (any_match(r->roles, words[n - 1]))
		return TRUE;
	static const char *const stops[] = {"of", "in", "for", "at", "to", NULL};
	for (char **w = words; *w && !g_strv_contains(stops, *w); w++)
		if (**w && any_match(r->roles, *w))
			return TRUE;
	return FALSE;
}

/* NAME without a leading title ("Dr", "Revd") when a full name follows it; "Mrs A.
 * Patel" keeps hers, as the initial alone would not address her. */
static char *without_title(const struct extract_rules *r, const char *name)
{
	if (!name)
		return NULL;
	g_auto(GStrv) words = g_strsplit(name, " ", -1);
	guint n = g_strv_length(words);
	gboolean initial = n > 1 && g_utf8_strlen(words[1], -1) <= 2;
	if (n >= 3 && any_match(r->titles, words[0]) && !initial)
		return g_strjoinv(" ", words + 1);
	return g_strdup(name);
}

/* A line that is a person's name: one to four words of letters, each starting with a
 * capital, and no organisation, role or address in it. */
static gboolean looks_like_name(const struct extract_rules *r, const char *line)
{
	guint words = word_count(line);
	if (words < 1 || words > 5 || strlen(line) > 50)
		return FALSE;
	for (const char *p = line; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		if (!g_unichar_isalpha(c) && !strchr(" -'.", (int)c) && c != 0x2019)
			return FALSE;
	}
	g_auto(GStrv) parts = g_strsplit(line, " ", -1);
	for (char **w = parts; *w; w++)
		if (**w && !g_unichar_isupper(g_utf8_get_char(*w)))
			return FALSE;
	return !is_pronoun(parts[0]) && !has_org_words(r, line) && !is_role_phrase(r, line) &&
	       !any_match(r->address, line);
}

static gboolean is_role_name(const struct extract_rules *r, const char *name)
{
	return !name || any_match(r->role_names, name);
}

/* ---- the signature ---- */

struct signature {
	char *name;
	char *role;
	char *organisation;
	guint organisation_rank; /* 3 a line of its own, 2 beside a role, 1 no org words */
	char *phone;
	char *website;
	char *postcode;
};

static void signature_clear(struct signature *s)
{
	g_free(s->name);
	g_free(s->role);
	g_free(s->organisation);
	g_free(s->phone);
	g_free(s->website);
	g_free(s->postcode);
}

static void offer_organisation(struct signature *s, const char *text, guint rank)
{
	if (rank <= s->organisation_rank)
		return;
	g_free(s->organisation);
	s->organisation = g_strdup(text);
	s->organisation_rank = rank;
}

/* The index of the line after the sign-off ("Best wishes,"), or -1. */
static gint signoff_end(const struct extract_rules *r, char **lines, guint n)
{
	for (guint i = n; i-- > 0;) {
		if (!strcmp(lines[i], "--") || any_match(r->signoffs, lines[i]))
			return i + 1;
		if (n - i > 30)
			break;
	}
	return -1;
}

/* No sign-off: the last paragraph, when it is short enough to be a signature. */
static gint last_paragraph(char **lines, guint n)
{
	guint end = n;
	while (end > 0 && !*lines[end - 1])
		end--;
	guint start = end;
	while (start > 0 && *lines[start - 1])
		start--;
	return end - start <= UNSIGNED_TAIL_LINES ? (gint)start : -1;
}

static void read_contact_line(const char *line, struct signature *s)
{
	if (!s->phone)
		s->phone = extract_phone(line);
	if (!s->postcode)
		s->postcode = extract_postcode(line);
	if (s->website || strchr(line, '@'))
		return;
	if (!(s->website = extract_website(line)) && !(s->website = bare_website(line))) {
		g_auto(GStrv) parts = g_regex_split_simple("\\s*[|•·]\\s*|\\s{2,}", line, 0, 0);
		for (char **p = parts; *p && !s->website; p++)
			s->website = bare_website(*p);
	}
}

static gboolean is_contact_line(const char *line)
{
	return strpbrk(line, "0123456789@") || strstr(line, "://") || strstr(line, "www.");
}

/* "Director of Music | Westfield Academy Trust", "Owner, Harmony House Music",
 * "Secretary at The Café Concert Society", "Laura Benson | Head of Hub | Peakland
 * Music Education Hub": names, roles and organisations. */
static void read_words_line(const struct extract_rules *r, const char *line, guint seen,
			    struct signature *s)
{
	static GRegex *split;
	if (!split)
		split = g_regex_new("\\s*(?:\\||,|/|\\t|\\s[-–—]\\s|\\sat\\s)\\s*", 0, 0, NULL);
	g_auto(GStrv) parts = g_regex_split(split, line, 0);
	guint n = g_strv_length(parts);
	gboolean after_role = FALSE;
	for (char **p = parts; *p; p++) {
		char *part = g_strstrip(*p);
		if (!*part || is_contact_line(part) || word_count(part) > 8 ||
		    any_match(r->address, part))
			continue;
		g_autofree char *bare = without_title(r, part);
		if (is_role_phrase(r, part)) {
			if (!s->role)
				s->role = g_strdup(part);
			after_role = TRUE;
		} else if (!s->name && seen <= 3 && looks_like_name(r, bare)) {
			s->name = g_steal_pointer(&bare);
		} else if (looks_like_organisation(r, part)) {
			offer_organisation(s, part, n == 1 ? 3 : 2);
		} else if (after_role && capitalised_words(part) && word_count(part) <= 6 &&
			   !is_pronoun(part)) {
			offer_organisation(s, part, 1);
		}
	}
}

/* Reads the signature at the end of TEXT into S; returns the line it starts on (the
 * number of lines when there is none). */
static guint parse_signature(const struct extract_rules *r, const char *text, struct signature *s)
{
	memset(s, 0, sizeof *s);
	g_auto(GStrv) lines = g_strsplit(text ? text : "", "\n", -1);
	guint n = g_strv_length(lines);
	for (guint i = 0; i < n; i++)
		g_strstrip(lines[i]);
	gint start = signoff_end(r, lines, n);
	if (start < 0)
		start = last_paragraph(lines, n);
	if (start < 0)
		return n;
	guint seen = 0;
	for (guint i = start; i < n && seen < MAX_SIGNATURE_LINES; i++) {
		const char *line = lines[i];
		if (!*line)
			continue;
		seen++;
		read_contact_line(line, s);
		if (strlen(line) <= 160)
			read_words_line(r, line, seen, s);
	}
	return start;
}

/* ---- organisation in the message's words ---- */

#define CAPITALISED_PHRASE                                                                     \
	"((?:[[:upper:]][\\w'’&.-]*)(?:[ \\t]+(?:[[:upper:]][\\w'’&.-]*|(?:of|the|and|&|for|y|a|"  \
	"de|C of E)(?!\\w)))*)"

/* PHRASE without trailing small words ("Riverside Youth Choir and" -> "... Choir"). */
static void trim_small_words(char *phrase)
{
	for (;;) {
		g_strchomp(phrase);
		char *space = strrchr(phrase, ' ');
		if (!space)
			return;
		/* "... College I'd like": a sentence's next words, not the name's */
		g_autofree char *last = g_strndup(space + 1, strcspn(space + 1, "'’"));
		if (!is_small_word(space + 1) && !is_pronoun(last))
			return;
		*space = '\0';
	}
}

static gboolean is_hub_itself(const struct config *cfg, const char *phrase)
{
	if (!cfg || !cfg->hub.name)
		return FALSE;
	g_autofree char *ours = extract_org_key(cfg->hub.name);
	g_autofree char *theirs = extract_org_key(phrase);
	return ours && theirs && strstr(ours, theirs);
}

/* The last word of PHRASE is an organisation's word: "St Marys Primary School", not
 * "National Plan for Music Education". */
static gboolean ends_as_organisation(const struct extract_rules *r, const char *phrase)
{
	const char *space = strrchr(phrase, ' ');
	return space && has_org_words(r, space + 1);
}

/* PHRASE as an organisation's name, or NULL: two words or more, capitalised, ending
 * in an organisation's word, not a role, not the hub itself. */
static char *as_organisation(const struct extract_rules *r, const struct config *cfg,
			     const char *phrase)
{
	g_autofree char *name = g_strdup(phrase);
	trim_small_words(name);
	g_auto(GStrv) first = g_strsplit(name, " ", 2);
	if (!first[0] || is_pronoun(first[0]) || word_count(name) < 2 ||
	    !looks_like_organisation(r, name) || !ends_as_organisation(r, name) ||
	    is_role_phrase(r, name) || is_hub_itself(cfg, name))
		return NULL;
	return g_steal_pointer(&name);
}

/* "... whether St Marys Primary School could join": the first capitalised phrase in
 * TEXT that is an organisation's name by the words of its end. */
static char *named_organisation(const struct extract_rules *r, const struct config *cfg,
				const char *text)
{
	static GRegex *re;
	if (!re)
		re = g_regex_new("(?:^|[^\\w'’&.-])(?:The[ \\t]+)?" CAPITALISED_PHRASE, G_REGEX_OPTIMIZE,
				 0, NULL);
	g_autoptr(GMatchInfo) m = NULL;
	for (g_regex_match(re, text, 0, &m); g_match_info_matches(m); g_match_info_next(m, NULL)) {
		g_autofree char *phrase = g_match_info_fetch(m, 1);
		char *name = as_organisation(r, cfg, phrase);
		if (name)
			return name;
	}
	return NULL;
}

/* "on behalf of Riverside Youth Choir", "We are Ysgol Gymraeg Llundain": a capitalised
 * phrase with an organisation word in it, after words that introduce one. */
static char *introduced_organisation(const struct extract_rules *r, const struct config *cfg,
				     const char *text)
{
	static GRegex *re;
	if (!re)
		re = g_regex_new("(?:([\\w-]+)[ \\t]+)?\\b(on behalf of|here at|from|at|of|for|run|runs|"
				 "lead|leads|manage|manages|represent|with|join|called|named|is|are)"
				 "[ \\t]+(?:the[ \\t]+)?" CAPITALISED_PHRASE,
				 G_REGEX_OPTIMIZE, 0, NULL);
	g_autoptr(GMatchInfo) m = NULL;
	for (g_regex_match(re, text, 0, &m); g_match_info_matches(m); g_match_info_next(m, NULL)) {
		g_autofree char *before = g_match_info_fetch(m, 1);
		g_autofree char *keyword = g_match_info_fetch(m, 2);
		g_autofree char *phrase = g_match_info_fetch(m, 3);
		/* "Head of Performing Arts at Derby College": a role's subject, not a name. */
		if (before && *before && any_match(r->roles, before) &&
		    (!strcmp(keyword, "of") || !strcmp(keyword, "for")))
			continue;
		trim_small_words(phrase);
		if (word_count(phrase) >= 2 && looks_like_organisation(r, phrase) &&
		    !is_role_phrase(r, phrase) && !is_hub_itself(cfg, phrase))
			return g_steal_pointer(&phrase);
	}
	return NULL;
}

/* "Little Notes, a music group for babies", "Beats & Bars is a hip-hop education
 * project": a name described by what it is. */
static char *described_organisation(const struct extract_rules *r, const struct config *cfg,
				    const char *text)
{
	static GRegex *re;
	if (!re)
		re = g_regex_new(CAPITALISED_PHRASE "(?:,|\\s+is)\\s+(?:a|an)\\s+"
					       "((?:[\\w'’-]+\\s+){0,5}?[\\w'’-]+)\\b",
				 G_REGEX_OPTIMIZE, 0, NULL);
	g_autoptr(GMatchInfo) m = NULL;
	for (g_regex_match(re, text, 0, &m); g_match_info_matches(m); g_match_info_next(m, NULL)) {
		g_autofree char *phrase = g_match_info_fetch(m, 1);
		g_autofree char *what = g_match_info_fetch(m, 2);
		trim_small_words(phrase);
		g_auto(GStrv) first = g_strsplit(phrase, " ", 2);
		if (first[0] && !is_pronoun(first[0]) && has_org_words(r, what) &&
		    !any_match(r->roles, first[0]) && !is_hub_itself(cfg, phrase))
			return g_steal_pointer(&phrase);
	}
	return NULL;
}

/* What the sender says they are: "We are an independent music shop", "I'm a
 * freelance fiddle player". */
static const char *self_described_type(const struct extract_rules *r, const char *text)
{
	static GRegex *re;
	if (!re)
		re = g_regex_new("\\b(?:we are|we're|i am|i'm|is)\\s+(?:a|an)\\s+((?:[\\w'’-]+\\s+){0,"
				 "4}[\\w'’-]+)",
				 G_REGEX_CASELESS | G_REGEX_OPTIMIZE, 0, NULL);
	g_autoptr(GMatchInfo) m = NULL;
	for (g_regex_match(re, text, 0, &m); g_match_info_matches(m); g_match_info_next(m, NULL)) {
		g_autofree char *what = g_match_info_fetch(m, 1);
		const char *type = rightmost_named_match(r->org_types, what);
		if (type)
			return type;
	}
	return NULL;
}

/* ---- a forwarded enquiry ---- */

/* A forwarded message inside this one: its sender and its text. */
struct forwarded {
	char *name;
	char *addr;
	const char *text; /* borrowed from the mail */
};

static void forwarded_clear(struct forwarded *f)
{
	g_free(f->name);
	g_free(f->addr);
}

/* "From: Name <addr>" among the first lines of TEXT. */
static gboolean forwarded_sender(const char *text, struct forwarded *f)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", 12);
	for (char **l = lines; *l; l++) {
		const char *line = g_strstrip(*l);
		if (g_ascii_strncasecmp(line, "From:", 5) && g_ascii_strncasecmp(line, "Von:", 4) &&
		    g_ascii_strncasecmp(line, "De:", 3))
			continue;
		const char *value = strchr(line, ':') + 1;
		g_autofree char *angle = header_angle_address(value);
		if (angle && strchr(angle, '@')) {
			f->addr = g_ascii_strdown(angle, -1);
			f->name = header_display_name(value);
		} else {
			g_autofree char *v = g_strstrip(g_strdup(value));
			if (strchr(v, '@') && !strchr(v, ' '))
				f->addr = g_ascii_strdown(v, -1);
		}
		return f->addr != NULL;
	}
	return FALSE;
}

/* The forwarded message after a marker line in TEXT ("---------- Forwarded message";
 * under a "FW:" subject also Outlook's "-----Original Message-----" or a rule of
 * underscores). */
static gboolean forward_in_text(const char *text, gboolean fwd_subject, struct forwarded *f)
{
	for (const char *line = text; line && *line;) {
		const char *eol = strchr(line, '\n');
		g_autofree char *one = g_strndup(line, eol ? (gsize)(eol - line) : strlen(line));
		gboolean marker = text_is_forward_marker(one) ||
				  (fwd_subject && (text_is_original_message(one) ||
						   g_str_has_prefix(g_strchug(one), "_____")));
		if (marker && eol && forwarded_sender(eol + 1, f)) {
			f->text = eol + 1;
			return TRUE;
		}
		line = eol ? eol + 1 : NULL;
	}
	return FALSE;
}

static gboolean find_forward(const struct mail *mail, struct forwarded *f)
{
	memset(f, 0, sizeof *f);
	for (guint i = 0; i < mail->attachments->len; i++) {
		const struct mail_attachment *a = mail->attachments->pdata[i];
		if (a->text && !strcmp(a->content_type, "message/rfc822") && forwarded_sender(a->text, f)) {
			f->text = a->text;
			return TRUE;
		}
	}
	gboolean fwd_subject = g_regex_match_simple("^\\s*(fwd?|fw|wg|tr|i)\\s*:", mail->subject,
						    G_REGEX_CASELESS, 0);
	/* A reply's quoted history is kept apart from its text; a forward's may be too. */
	return forward_in_text(mail->text, fwd_subject, f) ||
	       (fwd_subject && forward_in_text(mail->quoted, fwd_subject, f));
}

/* The text below a forwarded message's header lines. */
static const char *skip_header_lines(const char *text)
{
	const char *p = text;
	while (*p) {
		const char *eol = strchr(p, '\n');
		gsize len = eol ? (gsize)(eol - p) : strlen(p);
		const char *colon = memchr(p, ':', len);
		gboolean header = colon && colon - p < 20 && colon > p && !memchr(p, ' ', colon - p);
		if (!header && len > 0)
			break;
		if (!eol)
			return p + len;
		p = eol + 1;
	}
	return p;
}

/* ---- putting it together ---- */

struct sources {
	char *text;	  /* the applicant's own words, without the mailer's lines */
	char *body;	  /* the text above the signature, each paragraph on one line */
	char *words;	  /* the subject and the body (a form's every field): their offer */
	GHashTable *form; /* form fields, or NULL when this is no form */
	struct signature sig;
	struct forwarded fwd;
	gboolean forwarded;
};

struct found {
	struct lead_fields *out;
	const struct extract_rules *r;
	const struct config *cfg;
};

static void take(struct found *f, char **slot, const char *field, char *value, const char *source)
{
	if (!value)
		return;
	if (*slot || !*value) {
		g_free(value);
		return;
	}
	*slot = value;
	g_hash_table_replace(f->out->provenance, g_strdup(field), g_strdup(source));
}

static const char *form_field(const struct sources *s, const char *field)
{
	return s->form ? g_hash_table_lookup(s->form, field) : NULL;
}

static void choose_applicant(struct found *f, const struct mail *mail, struct sources *s)
{
	struct lead_fields *out = f->out;
	const char *form_email = form_field(s, "email");
	g_autofree char *form_addr = form_email ? header_clean(form_email, 254) : NULL;
	if (form_addr && !header_address_ok(form_addr))
		g_clear_pointer(&form_addr, g_free);
	if (s->forwarded) {
		take(f, &out->applicant_email, "applicant_email", g_strdup(s->fwd.addr),
		     "forwarded message");
		out->applicant_in_body = TRUE;
	} else if (mail->reply_to_addr && !classify_is_role_address(mail->reply_to_addr)) {
		take(f, &out->applicant_email, "applicant_email", g_strdup(mail->reply_to_addr),
		     "header: Reply-To");
	} else if (form_addr && g_ascii_strcasecmp(form_addr, mail->from_addr ? mail->from_addr : "")) {
		/* A web form's mailer sends it; the person is in the form. */
		take(f, &out->applicant_email, "applicant_email", g_ascii_strdown(form_addr, -1),
		     "form field: email");
		out->applicant_in_body = TRUE;
	} else {
		take(f, &out->applicant_email, "applicant_email", g_strdup(mail_reply_address(mail)),
		     mail->reply_to_addr ? "header: Reply-To" : "header: From");
	}
}

/* The display name beside the applicant's address in the headers, if it is there. */
static const char *applicant_header_name(const struct mail *mail, const struct lead_fields *out)
{
	if (!out->applicant_email)
		return NULL;
	if (!g_strcmp0(out->applicant_email, mail->reply_to_addr))
		return mail->reply_to_name;
	if (!g_strcmp0(out->applicant_email, mail->from_addr))
		return mail->from_name;
	return NULL;
}

static char *name_from_address(const char *addr)
{
	static GRegex *re;
	if (!re)
		re = g_regex_new("^([a-z]{2,})[._-]([a-z]{2,})@", G_REGEX_CASELESS, 0, NULL);
	g_autoptr(GMatchInfo) m = NULL;
	if (!addr || !g_regex_match(re, addr, 0, &m))
		return NULL;
	g_autofree char *first = g_match_info_fetch(m, 1);
	g_autofree char *last = g_match_info_fetch(m, 2);
	g_autofree char *both = g_strdup_printf("%s %s", first, last);
	return title_case(both);
}

/* A cleaned person's name from TEXT, or NULL when TEXT is a role or an organisation. */
static char *person_name(const struct extract_rules *r, const char *text)
{
	if (!text || is_role_name(r, text) || looks_like_organisation(r, text))
		return NULL;
	g_autofree char *clean = extract_clean_name(text);
	return clean ? without_title(r, clean) : NULL;
}

static void choose_name(struct found *f, const struct mail *mail, struct sources *s)
{
	struct lead_fields *out = f->out;
	const char *name = form_field(s, "name");
	const char *first = form_field(s, "first_name");
	const char *last = form_field(s, "last_name");
	g_autofree char *joined = !name && first ? g_strdup_printf("%s %s", first, last ? last : "") : NULL;
	take(f, &out->contact_name, "contact_name", person_name(f->r, name ? name : joined),
	     "form field: name");
	g_autofree char *signed_as = person_name(f->r, s->sig.name);
	const char *source = s->forwarded ? "forwarded message"
			     : mail->reply_to_addr ? "header: Reply-To" : "header: From";
	char *header = person_name(f->r, s->forwarded ? s->fwd.name : applicant_header_name(mail, out));
	/* "Lucy" in the header, "Lucy Barrett" below the message: the fuller one. */
	if (header && signed_as && !strchr(header, ' ') && g_str_has_prefix(signed_as, header)) {
		g_free(header);
		header = g_strdup(signed_as);
	}
	take(f, &out->contact_name, "contact_name", header, source);
	take(f, &out->contact_name, "contact_name", g_steal_pointer(&signed_as), "signature");
	take(f, &out->contact_name, "contact_name", name_from_address(out->applicant_email),
	     "email address");
}

static void choose_organisation(struct found *f, const struct mail *mail, struct sources *s)
{
	struct lead_fields *out = f->out;
	const char *org = form_field(s, "organisation");
	take(f, &out->organisation, "organisation", org ? fix_case(org) : NULL,
	     "form field: organisation");
	if (s->sig.organisation_rank >= 2)
		take(f, &out->organisation, "organisation", g_strdup(s->sig.organisation), "signature");
	take(f, &out->organisation, "organisation", introduced_organisation(f->r, f->cfg, s->body),
	     "text");
	take(f, &out->organisation, "organisation", described_organisation(f->r, f->cfg, s->body),
	     "text");
	take(f, &out->organisation, "organisation", named_organisation(f->r, f->cfg, s->body),
	     "text");
	take(f, &out->organisation, "organisation", g_strdup(s->sig.organisation), "signature");
	const char *header_name = s->forwarded ? s->fwd.name : applicant_header_name(mail, out);
	if (looks_like_organisation(f->r, header_name) && !is_role_name(f->r, header_name) &&
	    !is_hub_itself(f->cfg, header_name))
		take(f, &out->organisation, "organisation", header_clean(header_name, 120),
		     "header display name");
}

static void choose_org_type(struct found *f, struct sources *s)
{
	struct lead_fields *out = f->out;
	const char *value = form_field(s, "org_type");
	const char *t = value ? first_named_match(f->r->org_type_values, value) : NULL;
	take(f, &out->org_type, "org_type", g_strdup(t), "form field: type");
	t = out->organisation ? rightmost_named_match(f->r->org_types, out->organisation) : NULL;
	take(f, &out->org_type, "org_type", g_strdup(t), "organisation name");
	const char *at = out->applicant_email ? strrchr(out->applicant_email, '@') : NULL;
	t = at ? first_named_match(f->r->org_type_domains, at + 1) : NULL;
	take(f, &out->org_type, "org_type", g_strdup(t), "email domain");
	/* "I'm a freelance violin teacher": only of themselves, when no organisation is named. */
	t = !out->organisation ? first_named_match(f->r->org_type_self, s->words) : NULL;
	take(f, &out->org_type, "org_type", g_strdup(t), "text");
	take(f, &out->org_type, "org_type", g_strdup(self_described_type(f->r, s->words)), "text");
}

static void choose_functions(struct found *f, struct sources *s)
{
	struct lead_fields *out = f->out;
	const char *ticked = form_field(s, "functions");
	GString *list = g_string_new(NULL);
	for (guint k = 0; lead_functions[k]; k++) {
		const struct named_patterns *n = NULL;
		for (guint i = 0; i < f->r->functions->len && !n; i++)
			if (!strcmp(((struct named_patterns *)f->r->functions->pdata[i])->name,
				    lead_functions[k]))
				n = f->r->functions->pdata[i];
		/* A checkbox list names the functions; the words may name them too. */
		gboolean chosen = (ticked && strcasestr(ticked, lead_functions[k])) ||
				  (n && (any_match(n->regexes, s->words) || any_match(n->regexes, ticked)));
		/* A school or trust that wants to work with the hub is the Schools function. */
		chosen |= !strcmp(lead_functions[k], "schools") && out->org_type &&
			  (!strcmp(out->org_type, "school") || !strcmp(out->org_type, "academy_trust"));
		if (chosen)
			g_string_append_printf(list, "%s%s", list->len ? "," : "", lead_functions[k]);
	}
	take(f, &out->functions, "functions", g_string_free(list, FALSE),
	     ticked ? "form field: functions" : "text");
}

static void choose_contact_details(struct found *f, struct sources *s)
{
	struct lead_fields *out = f->out;
	const char *form_web = form_field(s, "website");
	take(f, &out->phone, "phone", extract_phone(form_field(s, "phone")), "form field: phone");
	take(f, &out->phone, "phone", g_strdup(s->sig.phone), "signature");
	take(f, &out->phone, "phone", extract_phone(s->text), "text");
	take(f, &out->website, "website", extract_website(form_web), "form field: website");
	take(f, &out->website, "website", bare_website(form_web), "form field: website");
	take(f, &out->website, "website", site_root(g_strdup(s->sig.website)), "signature");
	take(f, &out->website, "website", site_root(extract_website(s->body)), "text");
	take(f, &out->postcode, "postcode", extract_postcode(form_field(s, "postcode")),
	     "form field: postcode");
	take(f, &out->postcode, "postcode", g_strdup(s->sig.postcode), "signature");
	take(f, &out->postcode, "postcode", extract_postcode(s->text), "text");
}

/* The postcode district, with the hub's name when it is one of the hub's areas. */
static void choose_area(struct found *f)
{
	struct lead_fields *out = f->out;
	if (!out->postcode)
		return;
	g_autofree char *district = g_strndup(out->postcode, strcspn(out->postcode, " "));
	g_autofree char *letters = g_strndup(district, strspn(district, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"));
	char **areas = f->cfg ? f->cfg->hub.postcode_areas : NULL;
	gboolean ours = FALSE;
	for (char **a = areas; a && *a; a++)
		ours |= !g_ascii_strcasecmp(*a, letters);
	out->out_of_area = areas && *areas && !ours;
	char *area = ours && f->cfg->hub.name ? g_strdup_printf("%s (%s)", district, f->cfg->hub.name)
					      : g_strdup(district);
	take(f, &out->area, "area", area, "postcode");
	g_hash_table_replace(out->provenance, g_strdup("out_of_area"), g_strdup("postcode"));
}

static void choose_domain(struct found *f)
{
	const char *at = f->out->applicant_email ? strrchr(f->out->applicant_email, '@') : NULL;
	if (at && !g_hash_table_contains(f->r->webmail, at + 1))
		f->out->domain = g_ascii_strdown(at + 1, -1);
}

static void init_fields(struct lead_fields *out)
{
	memset(out, 0, sizeof *out);
	out->provenance = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	out->is_partnership_enquiry = TRUE;
}

/* The first LIMIT lines of TEXT with each paragraph's lines joined by spaces, so words a
 * line break parts are read together. */
static char *paragraphs(const char *text, guint limit)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	GString *out = g_string_new(NULL);
	for (guint i = 0; lines[i] && i < limit; i++) {
		const char *line = g_strstrip(lines[i]);
		if (!*line)
			g_string_append_c(out, '\n');
		else
			g_string_append_printf(out, "%s%s", out->len && out->str[out->len - 1] != '\n' ? " " : "", line);
	}
	return g_string_free(out, FALSE);
}

static guint first_text_line(const char *text)
{
	guint line = 0;
	for (const char *p = text; *p && g_ascii_isspace(*p); p++)
		line += *p == '\n';
	return line;
}

static void read_sources(const struct extract_rules *r, const struct mail *mail,
			 struct sources *s)
{
	memset(s, 0, sizeof *s);
	s->forwarded = find_forward(mail, &s->fwd);
	const char *own = s->forwarded ? skip_header_lines(s->fwd.text) : mail->text;
	gsize len = strlen(own);
	if (len > MAX_TEXT_BYTES)
		len = g_utf8_find_prev_char(own, own + MAX_TEXT_BYTES + 1) - own;
	g_autofree char *head = g_strndup(own, len);
	s->text = drop_ignored_lines(r, head);
	GHashTable *form = parse_form(r, s->text);
	if (is_form(form))
		s->form = form;
	else
		g_hash_table_unref(form);
	guint signature_line = parse_signature(r, s->text, &s->sig);
	/* A message that is all one short paragraph is its own signature and its body. */
	if (s->form || signature_line <= first_text_line(s->text))
		signature_line = G_MAXUINT;
	s->body = paragraphs(s->text, signature_line);
	s->words = g_strconcat(mail->subject, "\n", s->body, NULL);
}

static void sources_clear(struct sources *s)
{
	g_free(s->text);
	g_free(s->body);
	g_free(s->words);
	g_clear_pointer(&s->form, g_hash_table_unref);
	signature_clear(&s->sig);
	forwarded_clear(&s->fwd);
}

void extract_fields(const struct mail *mail, const struct config *cfg,
		    const struct extract_rules *rules, struct lead_fields *out)
{
	init_fields(out);
	struct found f = {.out = out, .r = rules, .cfg = cfg};
	if (!rules) { /* headers only */
		const char *header = mail->reply_to_addr ? "header: Reply-To" : "header: From";
		take(&f, &out->applicant_email, "applicant_email", g_strdup(mail_reply_address(mail)), header);
		take(&f, &out->contact_name, "contact_name", extract_clean_name(mail_reply_name(mail)), header);
		return;
	}
	struct sources s;
	read_sources(rules, mail, &s);
	out->web_form = s.form != NULL;
	out->is_partnership_enquiry = !any_match(rules->not_partnership, mail->subject) &&
				      !any_match(rules->not_partnership, s.text);
	choose_applicant(&f, mail, &s);
	choose_domain(&f);
	choose_name(&f, mail, &s);
	choose_organisation(&f, mail, &s);
	choose_contact_details(&f, &s);
	choose_area(&f);
	choose_org_type(&f, &s);
	if (out->is_partnership_enquiry) /* an advert offers the hub nothing to map */
		choose_functions(&f, &s);
	out->org_key = extract_org_key(out->organisation);
	sources_clear(&s);
}

void lead_fields_clear(struct lead_fields *f)
{
	g_clear_pointer(&f->applicant_email, g_free);
	g_clear_pointer(&f->contact_name, g_free);
	g_clear_pointer(&f->organisation, g_free);
	g_clear_pointer(&f->org_type, g_free);
	g_clear_pointer(&f->phone, g_free);
	g_clear_pointer(&f->website, g_free);
	g_clear_pointer(&f->postcode, g_free);
	g_clear_pointer(&f->area, g_free);
	g_clear_pointer(&f->functions, g_free);
	g_clear_pointer(&f->org_key, g_free);
	g_clear_pointer(&f->domain, g_free);
	g_clear_pointer(&f->provenance, g_hash_table_unref);
}
