/* Raw message files: temporary while being fetched, durable once kept. Owns nothing
 * beyond the files; the database says which kept file belongs to which message. */
#include "spool.h"

#include "error.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <unistd.h>

static gboolean make_dir(const char *path, GError **error)
{
	if (g_mkdir_with_parents(path, 0770) != 0) {
		g_set_error(error, OV_ERROR, OV_ERROR_STORE, "cannot create %s: %s", path,
			    g_strerror(errno));
		return FALSE;
	}
	return TRUE;
}

gboolean spool_prepare(const char *dir, GError **error)
{
	g_autofree char *tmp = g_build_filename(dir, "tmp", NULL);
	g_autofree char *msg = g_build_filename(dir, "msg", NULL);
	return make_dir(dir, error) && make_dir(tmp, error) && make_dir(msg, error);
}

int spool_create_temp(const char *dir, char **tmp_path, GError **error)
{
	char *path = g_build_filename(dir, "tmp", "fetch-XXXXXX", NULL);
	int fd = g_mkstemp_full(path, O_RDWR | O_CLOEXEC, 0660);
	if (fd < 0) {
		g_set_error(error, OV_ERROR, OV_ERROR_STORE, "cannot create a file in %s/tmp: %s",
			    dir, g_strerror(errno));
		g_free(path);
		return -1;
	}
	*tmp_path = path;
	return fd;
}

static gboolean fsync_path(const char *path, int flags, GError **error)
{
	int fd = open(path, flags | O_CLOEXEC);
	if (fd < 0 || fsync(fd) != 0) {
		g_set_error(error, OV_ERROR, OV_ERROR_STORE, "cannot sync %s: %s", path,
			    g_strerror(errno));
		if (fd >= 0)
			close(fd);
		return FALSE;
	}
	close(fd);
	return TRUE;
}

/* Renames TMP_PATH to FINAL in DIR, its data and then the directory entry on disk
 * before it returns: a crash leaves either the temporary file or the whole one. */
static gboolean move_durably(const char *tmp_path, const char *final, const char *dir,
			     GError **error)
{
	if (!fsync_path(tmp_path, O_RDONLY, error))
		return FALSE;
	if (g_rename(tmp_path, final) != 0) {
		g_set_error(error, OV_ERROR, OV_ERROR_STORE, "cannot move %s to %s: %s", tmp_path,
			    final, g_strerror(errno));
		return FALSE;
	}
	return fsync_path(dir, O_RDONLY | O_DIRECTORY, error);
}

char *spool_keep(const char *dir, const char *tmp_path, const char *name, GError **error)
{
	g_autofree char *day = NULL;
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	day = g_date_time_format(now, "%Y-%m");
	g_autofree char *sub = g_build_filename(dir, "msg", day, NULL);
	if (!make_dir(sub, error))
		return NULL;
	g_autofree char *relative = g_build_filename("msg", day, name, NULL);
	g_autofree char *final = g_build_filename(dir, relative, NULL);
	if (!move_durably(tmp_path, final, sub, error))
		return NULL;
	return g_steal_pointer(&relative);
}

char *spool_keep_attachment(const char *dir, const char *tmp_path, const char *sha256,
			    GError **error)
{
	char prefix[3] = {sha256[0], sha256[0] ? sha256[1] : 0, 0};
	g_autofree char *relative = g_build_filename("att", prefix, sha256, NULL);
	g_autofree char *sub = g_build_filename(dir, "att", prefix, NULL);
	g_autofree char *final = g_build_filename(dir, relative, NULL);
	if (!make_dir(sub, error))
		return NULL;
	if (g_file_test(final, G_FILE_TEST_EXISTS)) {
		g_unlink(tmp_path);
		return g_steal_pointer(&relative);
	}
	if (!move_durably(tmp_path, final, sub, error))
		return NULL;
	return g_steal_pointer(&relative);
}

char *spool_path(const char *dir, const char *relative)
{
	return g_build_filename(dir, relative, NULL);
}

void spool_clean_temp(const char *dir)
{
	g_autofree char *tmp = g_build_filename(dir, "tmp", NULL);
	g_autoptr(GDir) d = g_dir_open(tmp, 0, NULL);
	const char *name;
	while (d && (name = g_dir_read_name(d))) {
		g_autofree char *path = g_build_filename(tmp, name, NULL);
		if (g_unlink(path) == 0)
			log_debug("removed unfinished fetch %s", path);
	}
}
