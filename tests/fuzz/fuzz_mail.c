/* libFuzzer target: any bytes as a message, through parse -> classify -> extract and the
 * text helpers the stages use (quote split, HTML to text, header decoding). Built with
 * clang, ASan and UBSan by `make fuzz`; seeds are the test corpora. */
#include "classify.h"
#include "config.h"
#include "extract.h"
#include "header.h"
#include "mime.h"
#include "text.h"

#include <gmime/gmime.h>
#include <libxml/parser.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char path[] = "/tmp/overture-fuzz-XXXXXX";
static int fd = -1;
static struct config cfg;
static struct extract_rules *rules;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	static char *own_lists[] = {"partners.hub.test", NULL};
	static char *trusted[] = {"mx.hub.test", NULL};
	g_mime_init();
	xmlInitParser();
	fd = mkstemp(path);
	if (fd < 0)
		abort();
	cfg.hub.address = "hub@hub.test";
	cfg.hub.domain = "hub.test";
	cfg.hub.own_list_ids = own_lists;
	cfg.smtp.from_address = "hub@hub.test";
	cfg.ack.trusted_authserv_ids = trusted;
	static char *areas[] = {"DE", "S", NULL};
	cfg.hub.name = "Riverside Music Hub";
	cfg.hub.postcode_areas = areas;
	const char *file = getenv("OVERTURE_RULES");
	GError *error = NULL;
	rules = extract_rules_load(file ? file : "templates/extract.ini", &error);
	if (!rules) {
		fprintf(stderr, "fuzz_mail: %s (run from the top of the tree)\n", error->message);
		abort();
	}
	return 0;
}

static void use_text(const char *text)
{
	if (!text || !g_utf8_validate(text, -1, NULL))
		abort(); /* the store must never see invalid UTF-8 */
	g_autofree char *clean = header_clean(text, 200);
	if (strchr(clean, '\n') || strchr(clean, '\r'))
		abort(); /* a cleaned value must never break a header */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	struct mail *m = mail_parse_file(path, NULL, NULL);
	if (m) {
		struct verdict v;
		struct lead_fields f;
		classify_mail(m, &cfg, &v);
		extract_fields(m, &cfg, rules, &f);
		const char *fields[] = {f.applicant_email, f.contact_name, f.organisation, f.org_type,
					f.phone, f.website, f.postcode, f.area, f.functions};
		for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
			if (fields[i])
				use_text(fields[i]);
		struct dsn d;
		if (classify_parse_dsn(m->delivery_status, &d))
			dsn_clear(&d);
		g_autoptr(GPtrArray) ids = classify_own_ids_in_text(m->text, cfg.hub.domain);
		use_text(m->text);
		use_text(m->subject);
		if (m->quoted)
			use_text(m->quoted);
		for (guint i = 0; i < m->headers->len; i++)
			use_text(((struct mail_header *)m->headers->pdata[i])->value);
		verdict_clear(&v);
		lead_fields_clear(&f);
		mail_free(m);
	}
	/* The same bytes as a header value and as HTML. */
	g_autofree char *s = g_strndup((const char *)data, size);
	g_autofree char *decoded = header_decode(s);
	use_text(decoded);
	g_autofree char *html = text_from_html(s, strlen(s));
	use_text(html);
	g_autofree char *valid = text_to_utf8(s, strlen(s), "utf-8");
	gsize q = text_quote_start(valid);
	if (q > strlen(valid))
		abort();
	return 0;
}
