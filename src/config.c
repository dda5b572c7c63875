/* Reads the INI configuration with GKeyFile, applies defaults, checks every value, and
 * reads the passwords from their files. Every error names the file, the section and
 * the key, and says what a correct value looks like. */
#include "config.h"

#include "error.h"

#include <errno.h>
#include <gmime/gmime.h>
#include <string.h>
#include <sys/stat.h>

#define SYSTEM_CONFIG "/etc/overture/overture.conf"

/* Every key the file may hold; anything else is a typo we report. */
static const char *const known_keys[] = {
	"hub.name",		"hub.address",	      "hub.reference_prefix",
	"hub.own_list_ids",	"hub.postcode_areas", "imap.url",
	"imap.user",		"imap.password_file", "imap.ca_file",
	"imap.poll_interval",	"imap.after_filing",  "imap.backfill_days",
	"imap.max_message_size", "smtp.url",	      "smtp.user",
	"smtp.password_file",	"smtp.ca_file",	      "smtp.from",
	"smtp.envelope_from",	"smtp.give_up_after", "smtp.retry_interval", "store.path",
	"store.spool",		"store.max_attachment_size", "ack.templates",
	"ack.min_interval",	"ack.max_age",	      "ack.max_open_leads",
	"ack.trusted_authserv_ids", "ack.trusted_forms", "notify.to",
	"notify.mode",		"notify.digest_every", NULL,
};

struct reader {
	GKeyFile *kf;
	gboolean secrets; /* read password files */
	const char *file;
	char *dir; /* the config file's directory: relative paths start here */
};

const char *config_default_path(const char *given)
{
	if (given && *given)
		return given;
	const char *env = g_getenv("OVERTURE_CONFIG");
	return env && *env ? env : SYSTEM_CONFIG;
}

gboolean config_parse_duration(const char *text, gint64 *seconds)
{
	char *end = NULL;
	if (!text || !g_ascii_isdigit(*text))
		return FALSE;
	errno = 0;
	guint64 n = g_ascii_strtoull(text, &end, 10);
	if (errno)
		return FALSE;
	guint64 unit = 1;
	switch (*end) {
	case '\0':
	case 's':
		break;
	case 'm':
		unit = 60;
		break;
	case 'h':
		unit = 3600;
		break;
	case 'd':
		unit = 86400;
		break;
	default:
		return FALSE;
	}
	if (*end && end[1])
		return FALSE;
	if (n > G_MAXINT64 / unit)
		return FALSE;
	*seconds = (gint64)(n * unit);
	return TRUE;
}

gboolean config_parse_size(const char *text, gint64 *bytes)
{
	char *end = NULL;
	if (!text || !g_ascii_isdigit(*text))
		return FALSE;
	errno = 0;
	guint64 n = g_ascii_strtoull(text, &end, 10);
	if (errno)
		return FALSE;
	guint64 unit = 1;
	switch (g_ascii_toupper(*end)) {
	case '\0':
		break;
	case 'K':
		unit = 1024;
		break;
	case 'M':
		unit = 1024 * 1024;
		break;
	case 'G':
		unit = 1024 * 1024 * 1024;
		break;
	default:
		return FALSE;
	}
	if (*end && end[1] && !(g_ascii_toupper(end[1]) == 'B' && !end[2]))
		return FALSE;
	if (n > G_MAXINT64 / unit)
		return FALSE;
	*bytes = (gint64)(n * unit);
	return TRUE;
}

char **config_parse_list(const char *text)
{
	g_autoptr(GPtrArray) items = g_ptr_array_new();
	g_auto(GStrv) parts = g_strsplit(text ? text : "", ",", -1);
	for (char **p = parts; *p; p++) {
		char *item = g_strstrip(*p);
		if (*item)
			g_ptr_array_add(items, g_strdup(item));
	}
	g_ptr_array_add(items, NULL);
	return (char **)g_ptr_array_free(g_steal_pointer(&items), FALSE);
}

static gboolean fail(const struct reader *r, GError **error, const char *section, const char *key,
		     const char *fmt, ...) G_GNUC_PRINTF(5, 6);

static gboolean fail(const struct reader *r, GError **error, const char *section, const char *key,
		     const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	g_autofree char *why = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error(error, OV_ERROR, OV_ERROR_CONFIG, "%s: [%s] %s: %s", r->file, section, key, why);
	return FALSE;
}

/* The value of SECTION.KEY with surrounding space removed, or NULL when absent or empty. */
static char *get(const struct reader *r, const char *section, const char *key)
{
	char *value = g_key_file_get_string(r->kf, section, key, NULL);
	if (value && !*g_strstrip(value))
		g_clear_pointer(&value, g_free);
	return value;
}

static gboolean get_required(const struct reader *r, const char *section, const char *key,
			     char **out, GError **error)
{
	*out = get(r, section, key);
	if (!*out)
		return fail(r, error, section, key, "missing; this key is required");
	return TRUE;
}

static char *get_or(const struct reader *r, const char *section, const char *key,
		    const char *fallback)
{
	char *value = get(r, section, key);
	return value ? value : g_strdup(fallback);
}

static char *resolve_path(const struct reader *r, const char *path)
{
	if (!path || g_path_is_absolute(path))
		return g_strdup(path);
	return g_build_filename(r->dir, path, NULL);
}

static gboolean get_duration(const struct reader *r, const char *section, const char *key,
			     const char *fallback, gint64 *out, GError **error)
{
	g_autofree char *text = get_or(r, section, key, fallback);
	if (!config_parse_duration(text, out))
		return fail(r, error, section, key,
			    "\"%s\" is not a duration (write e.g. 90, 90s, 15m, 2h or 1d)", text);
	return TRUE;
}

static gboolean get_size(const struct reader *r, const char *section, const char *key,
			 const char *fallback, gint64 *out, GError **error)
{
	g_autofree char *text = get_or(r, section, key, fallback);
	if (!config_parse_size(text, out))
		return fail(r, error, section, key,
			    "\"%s\" is not a size (write e.g. 512K, 20M or 1G)", text);
	return TRUE;
}

static gboolean get_count(const struct reader *r, const char *section, const char *key,
			  const char *fallback, gint64 *out, GError **error)
{
	g_autofree char *text = get_or(r, section, key, fallback);
	char *end = NULL;
	guint64 n = g_ascii_strtoull(text, &end, 10);
	if (!g_ascii_isdigit(*text) || *end || n > G_MAXINT32)
		return fail(r, error, section, key, "\"%s\" is not a whole number", text);
	*out = (gint64)n;
	return TRUE;
}

static char **get_list(const struct reader *r, const char *section, const char *key)
{
	g_autofree char *text = get(r, section, key);
	return config_parse_list(text);
}

/* One mailbox address (no display name, no group). Returns it in lower case, or NULL. */
static char *parse_plain_address(const char *text)
{
	if (!text || strchr(text, '<') || strchr(text, ' '))
		return NULL;
	const char *at = strchr(text, '@');
	if (!at || at == text || !at[1] || strchr(at + 1, '@'))
		return NULL;
	return g_ascii_strdown(text, -1);
}

/* A mailbox address with an optional display name, as GMime parses a From header. */
static gboolean parse_named_address(const char *text, char **name, char **address)
{
	InternetAddressList *list = internet_address_list_parse(NULL, text);
	gboolean ok = FALSE;
	if (list && internet_address_list_length(list) == 1) {
		InternetAddress *ia = internet_address_list_get_address(list, 0);
		if (INTERNET_ADDRESS_IS_MAILBOX(ia)) {
			const char *addr =
				internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia));
			*address = parse_plain_address(addr);
			const char *display = internet_address_get_name(ia);
			*name = display && *display ? g_strdup(display) : NULL;
			ok = *address != NULL;
		}
	}
	if (list)
		g_object_unref(list);
	return ok;
}

static gboolean check_url(const struct reader *r, const char *section, const char *url,
			  const char *secure, const char *starttls, GError **error)
{
	g_autofree char *scheme = g_uri_parse_scheme(url);
	g_autoptr(GUri) uri = g_uri_parse(url, G_URI_FLAGS_ENCODED, NULL);
	if (!scheme || !uri || !g_uri_get_host(uri) || !*g_uri_get_host(uri))
		return fail(r, error, section, "url", "\"%s\" is not a URL like %s://host/", url,
			    secure);
	if (g_ascii_strcasecmp(scheme, secure) && g_ascii_strcasecmp(scheme, starttls))
		return fail(r, error, section, "url",
			    "\"%s\" must start with %s:// (TLS) or %s:// (STARTTLS, required)",
			    url, secure, starttls);
	if (g_uri_get_userinfo(uri))
		return fail(r, error, section, "url",
			    "put the user in the 'user' key and the password in "
			    "'password_file', not in the URL");
	return TRUE;
}

/* Reads a secret from FILE (relative: in $CREDENTIALS_DIRECTORY, else beside the config). */
static gboolean read_password(const struct reader *r, const char *section, char **out,
			      GError **error)
{
	g_autofree char *name = NULL;
	if (!get_required(r, section, "password_file", &name, error))
		return FALSE;
	if (!r->secrets)
		return TRUE;
	g_autofree char *path = NULL;
	const char *creds = g_getenv("CREDENTIALS_DIRECTORY");
	if (g_path_is_absolute(name))
		path = g_strdup(name);
	else if (creds && *creds)
		path = g_build_filename(creds, name, NULL);
	else
		path = g_build_filename(r->dir, name, NULL);

	struct stat st;
	if (stat(path, &st) != 0)
		return fail(r, error, section, "password_file", "cannot read %s: %s", path,
			    g_strerror(errno));
	if (st.st_mode & S_IROTH)
		return fail(r, error, section, "password_file",
			    "%s is readable by every user; make it private first "
			    "(chmod 600 %s, or 640 with group overture)",
			    path, path);
	g_autofree char *contents = NULL;
	g_autoptr(GError) local = NULL;
	if (!g_file_get_contents(path, &contents, NULL, &local))
		return fail(r, error, section, "password_file", "%s", local->message);
	contents[strcspn(contents, "\r\n")] = '\0';
	if (!*contents)
		return fail(r, error, section, "password_file", "%s is empty", path);
	*out = g_steal_pointer(&contents);
	return TRUE;
}

static gboolean check_known_keys(const struct reader *r, GError **error)
{
	gsize n_groups = 0;
	g_auto(GStrv) groups = g_key_file_get_groups(r->kf, &n_groups);
	for (gsize g = 0; g < n_groups; g++) {
		g_auto(GStrv) keys = g_key_file_get_keys(r->kf, groups[g], NULL, NULL);
		for (char **k = keys; k && *k; k++) {
			g_autofree char *full = g_strdup_printf("%s.%s", groups[g], *k);
			if (!g_strv_contains(known_keys, full))
				return fail(r, error, groups[g], *k,
					    "unknown key (see overture(1) for the keys of each "
					    "section)");
		}
	}
	return TRUE;
}

static gboolean load_hub(const struct reader *r, struct config_hub *hub, GError **error)
{
	g_autofree char *address = NULL;
	if (!get_required(r, "hub", "name", &hub->name, error) ||
	    !get_required(r, "hub", "address", &address, error))
		return FALSE;
	hub->address = parse_plain_address(address);
	if (!hub->address)
		return fail(r, error, "hub", "address",
			    "\"%s\" is not a plain address like partners@hub.example.org", address);
	hub->domain = g_strdup(strchr(hub->address, '@') + 1);
	hub->reference_prefix = get_or(r, "hub", "reference_prefix", "EOI");
	for (const char *p = hub->reference_prefix; *p; p++)
		if (!g_ascii_isalnum(*p))
			return fail(r, error, "hub", "reference_prefix",
				    "\"%s\" must be letters and digits only (e.g. EOI)",
				    hub->reference_prefix);
	hub->own_list_ids = get_list(r, "hub", "own_list_ids");
	hub->postcode_areas = get_list(r, "hub", "postcode_areas");
	return TRUE;
}

static gboolean parse_after_filing(const struct reader *r, struct config_imap *imap,
				   GError **error)
{
	g_autofree char *text = get_or(r, "imap", "after_filing", "seen");
	if (!strcmp(text, "keep")) {
		imap->after_filing = AFTER_FILING_KEEP;
	} else if (!strcmp(text, "seen")) {
		imap->after_filing = AFTER_FILING_SEEN;
	} else if (g_str_has_prefix(text, "move:") && text[5]) {
		imap->after_filing = AFTER_FILING_MOVE;
		imap->move_folder = g_strdup(g_strstrip(text + 5));
		for (const char *p = imap->move_folder; *p; p++)
			if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e || *p == '"' ||
			    *p == '\\' || *p == '%' || *p == '*')
				return fail(r, error, "imap", "after_filing",
					    "folder \"%s\" must be plain ASCII without \", \\, %% "
					    "or *",
					    imap->move_folder);
	} else {
		return fail(r, error, "imap", "after_filing",
			    "\"%s\" is not keep, seen or move:Folder", text);
	}
	return TRUE;
}

static gboolean load_imap(const struct reader *r, struct config_imap *imap, GError **error)
{
	g_autofree char *ca = NULL;
	if (!get_required(r, "imap", "url", &imap->url, error) ||
	    !check_url(r, "imap", imap->url, "imaps", "imap", error) ||
	    !get_required(r, "imap", "user", &imap->user, error) ||
	    !read_password(r, "imap", &imap->password, error) ||
	    !get_duration(r, "imap", "poll_interval", "60", &imap->poll_interval, error) ||
	    !parse_after_filing(r, imap, error) ||
	    !get_count(r, "imap", "backfill_days", "14", &imap->backfill_days, error) ||
	    !get_size(r, "imap", "max_message_size", "50M", &imap->max_message_size, error))
		return FALSE;
	if (imap->poll_interval < 1)
		return fail(r, error, "imap", "poll_interval", "must be at least 1 second");
	ca = get(r, "imap", "ca_file");
	imap->ca_file = resolve_path(r, ca);
	return TRUE;
}

static gboolean load_smtp(const struct reader *r, struct config_smtp *smtp, GError **error)
{
	g_autofree char *envelope = NULL;
	g_autofree char *ca = NULL;
	if (!get_required(r, "smtp", "url", &smtp->url, error) ||
	    !check_url(r, "smtp", smtp->url, "smtps", "smtp", error) ||
	    !get_required(r, "smtp", "from", &smtp->from, error))
		return FALSE;
	if (!parse_named_address(smtp->from, &smtp->from_name, &smtp->from_address))
		return fail(r, error, "smtp", "from",
			    "\"%s\" is not an address like Music Hub <partners@hub.example.org>",
			    smtp->from);
	smtp->user = get(r, "smtp", "user");
	if (smtp->user && !read_password(r, "smtp", &smtp->password, error))
		return FALSE;
	envelope = get_or(r, "smtp", "envelope_from", "hub");
	if (strcmp(envelope, "hub") && strcmp(envelope, "null"))
		return fail(r, error, "smtp", "envelope_from", "\"%s\" is not hub or null",
			    envelope);
	smtp->null_sender = !strcmp(envelope, "null");
	ca = get(r, "smtp", "ca_file");
	smtp->ca_file = resolve_path(r, ca);
	return get_duration(r, "smtp", "retry_interval", "1m", &smtp->retry_interval, error) &&
	       get_duration(r, "smtp", "give_up_after", "5d", &smtp->give_up_after, error);
}

static gboolean load_store(const struct reader *r, struct config_store *store, GError **error)
{
	g_autofree char *path = get_or(r, "store", "path", "/var/lib/overture/overture.db");
	g_autofree char *spool = get_or(r, "store", "spool", "/var/lib/overture/spool");
	store->path = resolve_path(r, path);
	store->spool = resolve_path(r, spool);
	return get_size(r, "store", "max_attachment_size", "20M", &store->max_attachment_size,
			error);
}

static gboolean load_ack(const struct reader *r, struct config_ack *ack, GError **error)
{
	g_autofree char *templates = get_or(r, "ack", "templates", OVERTURE_DATADIR "/templates");
	ack->templates = resolve_path(r, templates);
	if (!g_file_test(ack->templates, G_FILE_TEST_IS_DIR))
		return fail(r, error, "ack", "templates", "%s is not a directory", ack->templates);
	ack->trusted_authserv_ids = get_list(r, "ack", "trusted_authserv_ids");
	ack->trusted_forms = get_list(r, "ack", "trusted_forms");
	for (char **f = ack->trusted_forms; *f; f++) {
		char *lower = g_ascii_strdown(*f, -1);
		g_free(*f);
		*f = lower;
	}
	return get_duration(r, "ack", "min_interval", "1d", &ack->min_interval, error) &&
	       get_duration(r, "ack", "max_age", "7d", &ack->max_age, error) &&
	       get_count(r, "ack", "max_open_leads", "3", &ack->max_open_leads, error);
}

static gboolean load_notify(const struct reader *r, struct config_notify *notify, GError **error)
{
	g_autofree char *to = get(r, "notify", "to");
	g_autofree char *mode = get_or(r, "notify", "mode", "each");
	if (to) {
		notify->to = parse_plain_address(to);
		if (!notify->to)
			return fail(r, error, "notify", "to", "\"%s\" is not a plain address", to);
	}
	if (!strcmp(mode, "each"))
		notify->mode = NOTIFY_EACH;
	else if (!strcmp(mode, "digest"))
		notify->mode = NOTIFY_DIGEST;
	else
		return fail(r, error, "notify", "mode", "\"%s\" is not each or digest", mode);
	return get_duration(r, "notify", "digest_every", "1d", &notify->digest_every, error);
}

struct config *config_load(const char *file, enum config_needs needs, GError **error)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autoptr(GError) local = NULL;
	if (!g_key_file_load_from_file(kf, file, G_KEY_FILE_NONE, &local)) {
		g_set_error(error, OV_ERROR, OV_ERROR_CONFIG, "%s: %s%s", file, local->message,
			    g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_NOENT)
				    ? " (give another file with -c FILE or $OVERTURE_CONFIG)"
				    : "");
		return NULL;
	}
	g_autofree char *abs = g_canonicalize_filename(file, NULL);
	struct reader r = {.kf = kf,
			   .secrets = needs == CONFIG_SECRETS,
			   .file = file,
			   .dir = g_path_get_dirname(abs)};
	g_autoptr(OvConfig) cfg = g_new0(struct config, 1);
	cfg->file = g_strdup(file);
	gboolean ok = check_known_keys(&r, error) && load_hub(&r, &cfg->hub, error) &&
		      load_imap(&r, &cfg->imap, error) && load_smtp(&r, &cfg->smtp, error) &&
		      load_store(&r, &cfg->store, error) && load_ack(&r, &cfg->ack, error) &&
		      load_notify(&r, &cfg->notify, error);
	g_free(r.dir);
	return ok ? g_steal_pointer(&cfg) : NULL;
}

static void free_secret(char *secret)
{
	if (secret) {
		explicit_bzero(secret, strlen(secret));
		g_free(secret);
	}
}

void config_free(struct config *cfg)
{
	if (!cfg)
		return;
	g_free(cfg->file);
	g_free(cfg->hub.name);
	g_free(cfg->hub.address);
	g_free(cfg->hub.domain);
	g_free(cfg->hub.reference_prefix);
	g_strfreev(cfg->hub.own_list_ids);
	g_strfreev(cfg->hub.postcode_areas);
	g_free(cfg->imap.url);
	g_free(cfg->imap.user);
	free_secret(cfg->imap.password);
	g_free(cfg->imap.ca_file);
	g_free(cfg->imap.move_folder);
	g_free(cfg->smtp.url);
	g_free(cfg->smtp.user);
	free_secret(cfg->smtp.password);
	g_free(cfg->smtp.ca_file);
	g_free(cfg->smtp.from);
	g_free(cfg->smtp.from_name);
	g_free(cfg->smtp.from_address);
	g_free(cfg->store.path);
	g_free(cfg->store.spool);
	g_free(cfg->ack.templates);
	g_strfreev(cfg->ack.trusted_authserv_ids);
	g_strfreev(cfg->ack.trusted_forms);
	g_free(cfg->notify.to);
	g_free(cfg);
}
