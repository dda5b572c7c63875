/* Lead fields from the headers of an enquiry: the applicant is the reply address, named
 * by its display name. */
#include "extract.h"

#include <string.h>

static void set_field(struct lead_fields *f, char **slot, const char *name, const char *value,
		      const char *source)
{
	if (!value || !*value)
		return;
	g_free(*slot);
	*slot = g_strdup(value);
	g_hash_table_replace(f->provenance, g_strdup(name), g_strdup(source));
}

void extract_fields(const struct mail *mail, const struct config *cfg, struct lead_fields *out)
{
	(void)cfg;
	memset(out, 0, sizeof *out);
	out->provenance = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	out->is_partnership_enquiry = TRUE;
	const char *header = mail->reply_to_addr ? "header: Reply-To" : "header: From";
	set_field(out, &out->applicant_email, "applicant_email", mail_reply_address(mail), header);
	set_field(out, &out->contact_name, "contact_name", mail_reply_name(mail), header);
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
