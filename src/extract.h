/* Extract: the facts a coordinator needs about who wrote and what they offer, read from
 * the mail (headers first; body, signature and form fields in later stages). Each field
 * remembers where it came from. A struct lead_fields owns its strings. */
#ifndef OVERTURE_EXTRACT_H
#define OVERTURE_EXTRACT_H

#include "config.h"
#include "mime.h"

#include <glib.h>

struct lead_fields {
	char *applicant_email; /* the person to reply to */
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

void extract_fields(const struct mail *mail, const struct config *cfg, struct lead_fields *out);
void lead_fields_clear(struct lead_fields *fields);

#endif
