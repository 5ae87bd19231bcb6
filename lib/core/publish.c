/* publish.c - write-to-temporary, fsync, rename (see include/tsct/publish.h).
 *
 * The temporary file sits in the destination directory so that rename(2) is atomic (same file
 * system). After the rename the directory itself is fsynced: without that, a crash can lose the
 * new directory entry even though the file data reached the disk. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tsct/publish.h"

static tsct_status io_error(tsct_error *err, const char *file, const char *what, int e)
{
    return tsct_error_set(err, TSCT_ERR_IO, file, NULL, -1, "%s: %s", what, strerror(e));
}

tsct_status tsct_publish_begin(tsct_publish *pub, const char *final_path, tsct_error *err)
{
    memset(pub, 0, sizeof *pub);
    if (!final_path || !final_path[0])
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "output", -1, "empty file name");
    size_t n = strlen(final_path);
    if (n + 20 >= TSCT_PATH_MAX)
        return tsct_error_set(err, TSCT_ERR_VALUE, final_path, NULL, -1, "file name too long");
    memcpy(pub->final_path, final_path, n + 1);
    snprintf(pub->tmp_path, sizeof pub->tmp_path, "%s.partial.XXXXXX", final_path);
    int fd = mkstemp(pub->tmp_path);
    if (fd < 0) {
        int e = errno;
        pub->tmp_path[0] = '\0';
        return io_error(err, final_path, "cannot create a file in its directory", e);
    }
    /* mkstemp makes the file 0600; outputs should be readable like any other file. */
    mode_t mask = umask(0);
    umask(mask);
    if (fchmod(fd, 0666 & ~mask) != 0) {
        int e = errno;
        close(fd);
        unlink(pub->tmp_path);
        return io_error(err, pub->tmp_path, "chmod", e);
    }
    close(fd);
    pub->active = 1;
    return TSCT_OK;
}

const char *tsct_publish_tmp_path(const tsct_publish *pub)
{
    return pub->tmp_path;
}

static int fsync_path(const char *path, int flags)
{
    int fd = open(path, flags);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    /* Some file systems refuse fsync on directories (EINVAL); that is not a failure to publish. */
    if (rc != 0 && (errno == EINVAL || errno == EBADF) && (flags & O_DIRECTORY))
        rc = 0;
    int e = errno;
    close(fd);
    errno = e;
    return rc;
}

tsct_status tsct_publish_commit(tsct_publish *pub, tsct_error *err)
{
    if (!pub->active)
        return tsct_error_set(err, TSCT_ERR_STATE, pub->final_path, NULL, -1,
                              "publication not begun or already finished");
    if (fsync_path(pub->tmp_path, O_RDONLY) != 0) {
        int e = errno;
        tsct_publish_abort(pub);
        return io_error(err, pub->final_path, "fsync of the temporary file", e);
    }
    if (rename(pub->tmp_path, pub->final_path) != 0) {
        int e = errno;
        tsct_publish_abort(pub);
        return io_error(err, pub->final_path, "rename into place", e);
    }
    pub->active = 0;
    char dir[TSCT_PATH_MAX];
    snprintf(dir, sizeof dir, "%s", pub->final_path);
    if (fsync_path(dirname(dir), O_RDONLY | O_DIRECTORY) != 0)
        return io_error(err, pub->final_path, "fsync of the directory", errno);
    return TSCT_OK;
}

void tsct_publish_abort(tsct_publish *pub)
{
    if (pub->active && pub->tmp_path[0])
        unlink(pub->tmp_path);
    pub->active = 0;
}

tsct_status tsct_publish_fopen(tsct_publish *pub, const char *final_path, FILE **fp,
                               tsct_error *err)
{
    *fp = NULL;
    TSCT_TRY(tsct_publish_begin(pub, final_path, err));
    *fp = fopen(pub->tmp_path, "wb");
    if (!*fp) {
        int e = errno;
        tsct_publish_abort(pub);
        return io_error(err, final_path, "cannot open the temporary file", e);
    }
    return TSCT_OK;
}

tsct_status tsct_publish_fclose(tsct_publish *pub, FILE *fp, tsct_error *err)
{
    int bad = ferror(fp);
    int e = errno;
    if (fclose(fp) != 0 && !bad) {
        bad = 1;
        e = errno;
    }
    if (bad) {
        tsct_publish_abort(pub);
        return io_error(err, pub->final_path, "write failed", e ? e : EIO);
    }
    return tsct_publish_commit(pub, err);
}

/* ---- folders ------------------------------------------------------------------------------ */

tsct_status tsct_publish_dir_begin(tsct_publish *pub, const char *final_dir, tsct_error *err)
{
    memset(pub, 0, sizeof *pub);
    if (!final_dir || !final_dir[0])
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "output", -1, "empty folder name");
    size_t n = strlen(final_dir);
    while (n > 1 && final_dir[n - 1] == '/')
        n--;
    if (n + 20 >= TSCT_PATH_MAX)
        return tsct_error_set(err, TSCT_ERR_VALUE, final_dir, NULL, -1, "folder name too long");
    memcpy(pub->final_path, final_dir, n);
    pub->final_path[n] = '\0';
    memcpy(pub->tmp_path, final_dir, n);
    memcpy(pub->tmp_path + n, ".partial.XXXXXX", 16);
    if (!mkdtemp(pub->tmp_path)) {
        int e = errno;
        pub->tmp_path[0] = '\0';
        return io_error(err, final_dir, "cannot create a folder beside it", e);
    }
    mode_t mask = umask(0);
    umask(mask);
    if (chmod(pub->tmp_path, 0777 & ~mask) != 0) {
        int e = errno;
        rmdir(pub->tmp_path);
        return io_error(err, pub->tmp_path, "chmod", e);
    }
    pub->active = 1;
    return TSCT_OK;
}

/* Apply fn to every regular file of the folder (by path); stops at the first failure. */
static int each_file(const char *dir, int (*fn)(const char *))
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int rc = 0;
    struct dirent *e;
    char path[TSCT_PATH_MAX + 256];
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        rc = fn(path);
    }
    int err = errno;
    closedir(d);
    errno = err;
    return rc;
}

static int fsync_file(const char *path)
{
    return fsync_path(path, O_RDONLY);
}

static int unlink_file(const char *path)
{
    unlink(path);
    return 0;
}

/* Every file of the folder on disk. Linux: one syncfs() of the file system (1488 files: 0.3
 * s where one fsync per file took 1.3 s); elsewhere, or when syncfs fails, fsync per file. */
static int sync_files(const char *dir)
{
#if defined(__linux__)
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        int rc = syncfs(fd);
        close(fd);
        if (rc == 0)
            return 0;
    }
#endif
    return each_file(dir, fsync_file);
}

tsct_status tsct_publish_dir_commit(tsct_publish *pub, tsct_error *err)
{
    if (!pub->active)
        return tsct_error_set(err, TSCT_ERR_STATE, pub->final_path, NULL, -1,
                              "publication not begun or already finished");
    if (sync_files(pub->tmp_path) != 0 ||
        fsync_path(pub->tmp_path, O_RDONLY | O_DIRECTORY) != 0) {
        int e = errno;
        tsct_publish_dir_abort(pub);
        return io_error(err, pub->final_path, "fsync of the temporary folder's files", e);
    }
    if (rename(pub->tmp_path, pub->final_path) != 0) {
        int e = errno;
        tsct_publish_dir_abort(pub);
        return io_error(err, pub->final_path, "rename into place", e);
    }
    pub->active = 0;
    char dir[TSCT_PATH_MAX];
    snprintf(dir, sizeof dir, "%s", pub->final_path);
    if (fsync_path(dirname(dir), O_RDONLY | O_DIRECTORY) != 0)
        return io_error(err, pub->final_path, "fsync of the parent folder", errno);
    return TSCT_OK;
}

void tsct_publish_dir_remove(const char *path)
{
    if (!path || !path[0])
        return;
    each_file(path, unlink_file);
    rmdir(path);
}

void tsct_publish_dir_abort(tsct_publish *pub)
{
    if (pub->active && pub->tmp_path[0])
        tsct_publish_dir_remove(pub->tmp_path);
    pub->active = 0;
}
