/* Extraction: the normalisers (phone, postcode, website, names, organisation keys), the
 * rules file's checks, and whole messages read with the shipped templates/extract.ini.
 * Runs from the top of the source tree (tests/run does). */
#include "error.h"
#include "extract.h"
#include "mime.h"

#include <glib/gstdio.h>
#include <string.h>
#include "unit.h"

#define RULES "templates/extract.ini"

static void check(char *(*normalise)(const char *), const char *in, const char *want)
{
	g_autofree char *got = normalise(in);
	g_assert_cmpstr(got, ==, want);
}

static void test_phone(void)
{
	check(extract_phone, "Tel: 01632 960 123", "+441632960123");
	check(extract_phone, "+44 (0)1632 960123", "+441632960123");
	check(extract_phone, "(0115) 496 0771", "+441154960771");
	check(extract_phone, "Mob: 07700-900-461", "+447700900461");
	check(extract_phone, "+44 7700 900 456", "+447700900456");
	check(extract_phone, "Ffôn / Tel: 020 7946 0193", "+442079460193");
	check(extract_phone, "+353 1 496 0000", "+35314960000");
	check(extract_phone, "Registered charity 1100000", NULL);
	check(extract_phone, "Year 4, 30 pupils", NULL);
	check(extract_phone, NULL, NULL);
}

static void test_postcode(void)
{
	check(extract_postcode, "Derby de22 1jd", "DE22 1JD");
	check(extract_postcode, "SW1A1AA", "SW1A 1AA");
	check(extract_postcode, "Cardiff CF10 1AA, Wales", "CF10 1AA");
	check(extract_postcode, "Year 4 and KS2", NULL);
	/* The inward code never uses C, I, K, M, O or V. */
	check(extract_postcode, "DE1 3CI", NULL);
}

static void test_website(void)
{
	check(extract_website, "More at www.choir.org.uk.", "https://www.choir.org.uk");
	check(extract_website, "https://stepforward.dance/", "https://stepforward.dance/");
	check(extract_website, "Find us at https://www.facebook.com/ourband", NULL);
	check(extract_website, "write to mailto:jo@x.test", NULL);
	check(extract_website, "no address here", NULL);
}

static void test_names(void)
{
	check(extract_clean_name, "SMITH, JANE", "Jane Smith");
	check(extract_clean_name, "JOHN MCDONALD", "John McDonald");
	check(extract_clean_name, "ST PETER'S", "St Peter's");
	check(extract_clean_name, "o'brien-smith", "O'Brien-Smith");
	check(extract_clean_name, "zoë fairbrother", "Zoë Fairbrother");
	check(extract_clean_name, "Ciarán Ó Briain", "Ciarán Ó Briain");
	check(extract_clean_name, "Łukasz Nowak", "Łukasz Nowak");
	check(extract_clean_name, "Sophie at Notable", "Sophie");
	check(extract_clean_name, "\"Jones, Gwen\"", "Gwen Jones");
	check(extract_clean_name, "info@school.test", NULL);
	check(extract_clean_name, "Smith, Jones, Brown", NULL);
}

static void test_org_key(void)
{
	g_autofree char *a = extract_org_key("St Mary's C of E Primary School");
	g_autofree char *b = extract_org_key("St Marys Primary School");
	g_autofree char *c = extract_org_key("Saint Marys Primary");
	g_assert_cmpstr(a, ==, "st marys primary");
	g_assert_cmpstr(b, ==, a);
	g_assert_cmpstr(c, ==, a);
	check(extract_org_key, "The Café & Bar Ltd", "cafe bar");
	check(extract_org_key, "  ", NULL);
}

/* Writes RULES_TEXT to a file and loads it: the error, or NULL when it loaded. */
static char *load_error(const char *rules_text)
{
	g_autofree char *path = unit_temp_file(rules_text);
	GError *error = NULL;
	struct extract_rules *r = extract_rules_load(path, &error);
	g_remove(path);
	extract_rules_free(r);
	if (!error)
		return NULL;
	char *message = g_strdup(error->message);
	g_error_free(error);
	return message;
}

static void test_rules_errors(void)
{
	g_autofree char *shipped = NULL;
	g_assert_true(g_file_get_contents(RULES, &shipped, NULL, NULL));
	g_autofree char *none = load_error(shipped);
	g_assert_null(none);

	GString *bad = g_string_new(shipped);
	g_string_replace(bad, "inclusion = ", "inclusion = (unclosed;", 1);
	g_autofree char *pattern = load_error(bad->str);
	g_assert_nonnull(strstr(pattern, "[functions] inclusion: pattern '(unclosed'"));
	g_string_free(bad, TRUE);

	bad = g_string_new(shipped);
	g_string_replace(bad, "\nretailer = \\b(shop", "\nshopkeeper = \\b(shop", 1);
	g_autofree char *type = load_error(bad->str);
	g_assert_nonnull(strstr(type, "[org_type] shopkeeper: not one of school, academy_trust"));
	g_string_free(bad, TRUE);

	bad = g_string_new(shipped);
	g_string_replace(bad, "[signoffs]", "[signoff]", 1);
	g_autofree char *section = load_error(bad->str);
	g_assert_nonnull(strstr(section, "[signoffs] lines: missing"));
	g_string_free(bad, TRUE);
}

/* Extracts the fields of the message TEXT with the shipped rules. */
static void extract_text(const char *text, struct lead_fields *out)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(OvExtractRules) rules = extract_rules_load(RULES, &error);
	g_assert_no_error(error);
	g_autofree char *path = unit_temp_file(text);
	g_autoptr(OvMail) mail = mail_parse_file(path, NULL, &error);
	g_assert_no_error(error);
	g_remove(path);
	extract_fields(mail, NULL, rules, out);
}

static void test_form_with_slips(void)
{
	struct lead_fields f;
	extract_text("From: Website <no-reply@hub-site.test>\n"
		     "To: hub@hub.test\nSubject: Contact form\n\n"
		     "Contact nmae: JANE O'NEILL\n"
		     "Organistion: ST PETER'S CHURCH CHOIR\n"
		     "Emial: Jane.ONeill@choir.test\n"
		     "Telephone no.: 01632-960-558\n"
		     "Post Code: de22 1jd\n"
		     "Webiste: stpeterschoir.org.uk\n"
		     "Enquiry: we sing with young carers and would like to host\n"
		     "hub concerts in our church.\n",
		     &f);
	g_assert_cmpstr(f.applicant_email, ==, "jane.oneill@choir.test");
	g_assert_true(f.applicant_in_body);
	g_assert_true(f.web_form);
	g_assert_cmpstr(f.contact_name, ==, "Jane O'Neill");
	g_assert_cmpstr(f.organisation, ==, "St Peter's Church Choir");
	g_assert_cmpstr(f.org_type, ==, "community_organisation"); /* a choir, not a church */
	g_assert_cmpstr(f.phone, ==, "+441632960558");
	g_assert_cmpstr(f.postcode, ==, "DE22 1JD");
	g_assert_cmpstr(f.website, ==, "https://stpeterschoir.org.uk");
	g_assert_cmpstr(f.functions, ==, "partnerships,inclusion");
	g_assert_cmpstr(g_hash_table_lookup(f.provenance, "organisation"), ==,
			"form field: organisation");
	lead_fields_clear(&f);
}

static void test_signature(void)
{
	struct lead_fields f;
	extract_text("From: \"Jones, Gwen\" <g.jones@stmarys.derbyshire.sch.uk>\n"
		     "To: hub@hub.test\nSubject: Partnership\n\n"
		     "Dear Hub team,\n\nWe would like help making our lessons more inclusive.\n\n"
		     "Kind regards,\n\nGwen Jones\nMusic Coordinator\n"
		     "St Mary's C of E Primary School\nChurch Lane\nBelper\nDE56 1BA\n"
		     "Tel: 01632 960 102\nwww.stmarys.derbyshire.sch.uk\n",
		     &f);
	g_assert_cmpstr(f.contact_name, ==, "Gwen Jones");
	g_assert_cmpstr(f.organisation, ==, "St Mary's C of E Primary School");
	g_assert_cmpstr(f.org_type, ==, "school");
	g_assert_cmpstr(f.phone, ==, "+441632960102");
	g_assert_cmpstr(f.postcode, ==, "DE56 1BA");
	g_assert_cmpstr(f.website, ==, "https://www.stmarys.derbyshire.sch.uk");
	g_assert_cmpstr(f.functions, ==, "schools,inclusion");
	g_assert_cmpstr(f.domain, ==, "stmarys.derbyshire.sch.uk");
	g_assert_cmpstr(f.org_key, ==, "st marys primary");
	g_assert_false(f.applicant_in_body);
	lead_fields_clear(&f);
}

static void test_forward_and_advert(void)
{
	struct lead_fields f;
	extract_text("From: Beth <beth@hub.test>\nTo: hub@hub.test\nSubject: Fwd: band\n\n"
		     "FYI, see below.\n\n---------- Forwarded message ---------\n"
		     "From: Kemi Adebayo <kemi@pan.test>\nSubject: band\n\n"
		     "Pan Rhythms CIC runs steel pan workshops in schools across Derby.\n",
		     &f);
	g_assert_cmpstr(f.applicant_email, ==, "kemi@pan.test");
	g_assert_cmpstr(f.contact_name, ==, "Kemi Adebayo");
	g_assert_cmpstr(f.organisation, ==, "Pan Rhythms CIC");
	g_assert_true(f.applicant_in_body);
	lead_fields_clear(&f);

	extract_text("From: Deals <news@shop.test>\nTo: hub@hub.test\nSubject: Sale\n\n"
		     "Our latest catalogue: 20% off every trumpet for schools.\n",
		     &f);
	g_assert_false(f.is_partnership_enquiry);
	g_assert_null(f.functions);
	lead_fields_clear(&f);
}

void add_extract_tests(void)
{
	g_test_add_func("/extract/phone", test_phone);
	g_test_add_func("/extract/postcode", test_postcode);
	g_test_add_func("/extract/website", test_website);
	g_test_add_func("/extract/names", test_names);
	g_test_add_func("/extract/org-key", test_org_key);
	g_test_add_func("/extract/rules-errors", test_rules_errors);
	g_test_add_func("/extract/form-with-slips", test_form_with_slips);
	g_test_add_func("/extract/signature", test_signature);
	g_test_add_func("/extract/forward-and-advert", test_forward_and_advert);
}
