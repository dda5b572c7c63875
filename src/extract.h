/* Extract: who is asking and what they offer. Reads the facts a coordinator needs from
 * the mail itself: web-form fields (Label: value lines and tables), the signature, the
 * sender's domain, and the words of the message, with the patterns in the rules file
 * (templates/extract.ini), and remembers where each came from. A struct lead_fields
 * owns its strings; struct extract_rules its compiled patterns. */
#ifndef OVERTURE_EXTRACT_H
#define OVERTURE_EXTRACT_H

#include "config.h"
#include "mime.h"

#include <glib.h>

struct lead_fields {
	char *applicant_email; /* the person to reply to */
	gboolean applicant_in_body; /* found in the body (a form's field, a forward), not a header */
	gboolean web_form;	    /* the mail is a web form's notification */
	char *contact_name;
	char *organisation;
	char *org_type;
	char *phone;
	char *website;
	char *postcode;
	char *area;
	char *functions; /* comma-separated, in the order of the National Plan */
	gboolean is_partnership_enquiry;
	gboolean out_of_area;
	char *org_key; /* the organisation's name normalised, to find the same one again */
	char *domain;  /* the applicant's mail domain, unless a webmail provider's */
	GHashTable *provenance; /* field name -> where it came from */
};

struct extract_rules;

/* Reads and compiles the rules in FILE; the error names the file, section and key. */
struct extract_rules *extract_rules_load(const char *file, GError **error);
void extract_rules_free(struct extract_rules *rules);
typedef struct extract_rules OvExtractRules;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OvExtractRules, extract_rules_free)

/* Fills OUT from MAIL (RULES may be NULL: headers only). */
void extract_fields(const struct mail *mail, const struct config *cfg,
		    const struct extract_rules *rules, struct lead_fields *out);
void lead_fields_clear(struct lead_fields *fields);

/* The normalisers, pure and unit-tested; each returns NULL when TEXT holds nothing of
 * the kind. */
char *extract_phone(const char *text);	  /* "01632 960 123" -> "+441632960123" */
char *extract_postcode(const char *text); /* "de1 3ab" -> "DE1 3AB" */
char *extract_website(const char *text);  /* "www.choir.org.uk/" -> "https://www.choir.org.uk/" */
char *extract_clean_name(const char *name); /* "SMITH, JANE" -> "Jane Smith" */
char *extract_org_key(const char *organisation); /* "St Mary's C of E Primary" -> "st marys primary" */

#endif
