/* Overture's GError domain and the exit code each kind of failure maps to. */
#include "error.h"

#include <sysexits.h>

G_DEFINE_QUARK(overture-error-quark, ov_error)

int ov_error_exit_code(const GError *error)
{
	if (!error || error->domain != OV_ERROR)
		return EX_SOFTWARE;
	switch ((enum ov_error_code)error->code) {
	case OV_ERROR_CONFIG:
		return EX_CONFIG;
	case OV_ERROR_USAGE:
		return EX_USAGE;
	case OV_ERROR_INPUT:
	case OV_ERROR_PARSE:
	case OV_ERROR_TOO_BIG:
		return EX_DATAERR;
	case OV_ERROR_NOT_FOUND:
		return EX_NOINPUT;
	case OV_ERROR_IMAP_AUTH:
	case OV_ERROR_IMAP_TLS:
	case OV_ERROR_SMTP_CONFIG:
		return EX_NOPERM;
	case OV_ERROR_IMAP_UNREACHABLE:
	case OV_ERROR_MAILBOX_CHANGED:
	case OV_ERROR_SMTP_TEMP:
	case OV_ERROR_BUSY:
		return EX_TEMPFAIL;
	case OV_ERROR_IMAP_PROTOCOL:
	case OV_ERROR_SMTP_PERM:
		return EX_PROTOCOL;
	case OV_ERROR_STORE:
		return EX_IOERR;
	}
	return EX_SOFTWARE;
}
