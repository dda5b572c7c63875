/* Configuration: the INI file of DESIGN.md, read with GKeyFile, checked once, and held
 * in one struct config that the rest of the program only reads. Owns the passwords
 * read from password_file (never printed). */
#ifndef OVERTURE_CONFIG_H
#define OVERTURE_CONFIG_H

#include <glib.h>

enum after_filing {
	AFTER_FILING_KEEP,
	AFTER_FILING_SEEN,
	AFTER_FILING_MOVE,
};

enum notify_mode {
	NOTIFY_EACH,
	NOTIFY_DIGEST,
};

struct config_hub {
	char *name;
	char *address;	/* lower case */
	char *domain;	/* the part of address after @: our Message-IDs use it */
	char *reference_prefix;
	char **own_list_ids;
	char **postcode_areas;
};

struct config_imap {
	char *url;
	char *user;
	char *password;
	char *ca_file;
	gint64 poll_interval; /* seconds */
	enum after_filing after_filing;
	char *move_folder; /* AFTER_FILING_MOVE only */
	gint64 backfill_days;
	gint64 max_message_size;
};

struct config_smtp {
	char *url;
	char *user; /* NULL: no SMTP AUTH */
	char *password;
	char *ca_file;
	char *from;	     /* as written: "Name <address>" */
	char *from_name;     /* may be NULL */
	char *from_address;
	gboolean null_sender; /* envelope_from = null */
	gint64 retry_interval; /* first retry after a temporary failure; doubles each time */
	gint64 give_up_after;  /* seconds */
};

struct config_store {
	char *path;
	char *spool;
	gint64 max_attachment_size;
};

struct config_ack {
	char *templates;
	gint64 min_interval;
	gint64 max_age;
	gint64 max_open_leads;
	char **trusted_authserv_ids;
	char **trusted_forms;
};

struct config_notify {
	char *to; /* NULL: no notifications */
	enum notify_mode mode;
	gint64 digest_every; /* seconds between digests */
};

struct config {
	char *file;
	struct config_hub hub;
	struct config_imap imap;
	struct config_smtp smtp;
	struct config_store store;
	struct config_ack ack;
	struct config_notify notify;
};

/* The config file to use: FILE when given, else $OVERTURE_CONFIG, else the system one. */
const char *config_default_path(const char *given);

enum config_needs {
	CONFIG_STORE_ONLY, /* the review commands: no password files are read */
	CONFIG_SECRETS,	   /* the daemon and `check`: passwords are read and checked */
};

/* Reads and checks FILE. Returns NULL with an error naming the file and key on failure;
 * free the result with config_free. */
struct config *config_load(const char *file, enum config_needs needs, GError **error);
void config_free(struct config *cfg);
typedef struct config OvConfig;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OvConfig, config_free)

/* "90", "90s", "15m", "2h", "1d" -> seconds. Returns FALSE when TEXT is not a duration. */
gboolean config_parse_duration(const char *text, gint64 *seconds);
/* "512", "64K", "50M", "1G" -> bytes. Returns FALSE when TEXT is not a size. */
gboolean config_parse_size(const char *text, gint64 *bytes);
/* "a, b ,c" -> {"a","b","c",NULL}; empty items are dropped. Free with g_strfreev. */
char **config_parse_list(const char *text);

#endif
