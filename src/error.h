/* Overture's error domain: every recoverable failure is a GError in this domain, and
 * its code says what kind of failure it is, so callers can tell a temporary problem
 * (retry later) from a permanent one, and the CLI can pick a sysexits.h exit code. */
#ifndef OVERTURE_ERROR_H
#define OVERTURE_ERROR_H

#include <glib.h>

#define OV_ERROR (ov_error_quark())
GQuark ov_error_quark(void);

enum ov_error_code {
	OV_ERROR_CONFIG,	   /* configuration file or template is wrong */
	OV_ERROR_USAGE,		   /* bad command-line arguments */
	OV_ERROR_INPUT,		   /* bad input data (a file, a value) */
	OV_ERROR_NOT_FOUND,	   /* no such lead, row or file */
	OV_ERROR_IMAP_AUTH,	   /* login refused */
	OV_ERROR_IMAP_TLS,	   /* certificate not trusted, TLS not offered */
	OV_ERROR_IMAP_UNREACHABLE, /* connection refused, dropped, timed out */
	OV_ERROR_IMAP_PROTOCOL,	   /* the server said NO/BAD or something we cannot read */
	OV_ERROR_MAILBOX_CHANGED,  /* UIDVALIDITY changed under us */
	OV_ERROR_TOO_BIG,	   /* message over max_message_size */
	OV_ERROR_PARSE,		   /* a message GMime cannot make sense of */
	OV_ERROR_SMTP_TEMP,	   /* 4xx or network: retry later */
	OV_ERROR_SMTP_PERM,	   /* 5xx: do not retry */
	OV_ERROR_SMTP_CONFIG,	   /* TLS or login problem: the administrator must act */
	OV_ERROR_STORE,		   /* SQLite or the spool failed */
	OV_ERROR_BUSY,		   /* another process holds a lock */
};

/* The sysexits.h code for an error (EX_SOFTWARE for codes without a better one). */
int ov_error_exit_code(const GError *error);

#endif
