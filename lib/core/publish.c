/* publish.c - write-to-temporary, fsync, rename (see include/tsct/publish.h).
 *
 * The temporary file sits in the destination directory so that rename(2) is atomic (same file
 * system). After the rename the directory itself is fsynced: without that, a crash can lose the
 * new directory entry even though the file data reached the disk. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <stdint.h>
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

/* ---- the write rule (see publish.h) --------------------------------------------------------
 * The inputs are a small list of (device, inode) pairs: a command reads a handful of files
 * (a frame folder: thousands, still a linear scan per output, which is negligible). */

typedef struct noted_file {
    dev_t dev;
    ino_t ino;
} noted_file;

static pthread_mutex_t rule_lock = PTHREAD_MUTEX_INITIALIZER;
static noted_file *noted;
static size_t nnoted, cap_noted;
static int replace_allowed = 1, protecting = 0;

void tsct_publish_protect_inputs(int on)
{
    pthread_mutex_lock(&rule_lock);
    protecting = on != 0;
    pthread_mutex_unlock(&rule_lock);
}

void tsct_publish_note_input(const char *path)
{
    struct stat sb;
    pthread_mutex_lock(&rule_lock);
    const int on = protecting;
    pthread_mutex_unlock(&rule_lock);
    if (!on || !path || stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
        return;
    pthread_mutex_lock(&rule_lock);
    int known = 0;
    for (size_t i = 0; i < nnoted && !known; i++)
        known = noted[i].dev == sb.st_dev && noted[i].ino == sb.st_ino;
    if (!known && nnoted == cap_noted) {
        size_t cap = cap_noted ? 2 * cap_noted : 16;
        noted_file *n = realloc(noted, cap * sizeof *n);
        if (n) {
            noted = n;
            cap_noted = cap;
        }
    }
    if (!known && nnoted < cap_noted)
        noted[nnoted++] = (noted_file){sb.st_dev, sb.st_ino};
    pthread_mutex_unlock(&rule_lock);
}

void tsct_publish_forget_inputs(void)
{
    pthread_mutex_lock(&rule_lock);
    free(noted);
    noted = NULL;
    nnoted = cap_noted = 0;
    pthread_mutex_unlock(&rule_lock);
}

void tsct_publish_set_replace(int replace)
{
    pthread_mutex_lock(&rule_lock);
    replace_allowed = replace != 0;
    pthread_mutex_unlock(&rule_lock);
}

int tsct_publish_replace(void)
{
    pthread_mutex_lock(&rule_lock);
    int r = replace_allowed;
    pthread_mutex_unlock(&rule_lock);
    return r;
}

/* The rule for an output that is a file (folder = 0) or a folder (folder = 1). */
static tsct_status check_rule(const char *final_path, int folder, int replace_anyway,
                              tsct_error *err)
{
    struct stat sb;
    if (stat(final_path, &sb) != 0)
        return TSCT_OK; /* nothing there to replace */
    if (!folder && S_ISDIR(sb.st_mode))
        return tsct_error_set(err, TSCT_ERR_IO, final_path, NULL, -1,
                              "is a folder; expected a file name for the output");
    pthread_mutex_lock(&rule_lock);
    int input = 0;
    for (size_t i = 0; i < nnoted && !input; i++)
        input = noted[i].dev == sb.st_dev && noted[i].ino == sb.st_ino;
    const int replace = replace_allowed || replace_anyway;
    pthread_mutex_unlock(&rule_lock);
    if (input)
        return tsct_error_set(err, TSCT_ERR_VALUE, final_path, NULL, -1,
                              "is an input of this command; an output never replaces an input "
                              "(choose another output name)");
    if (!replace)
        return tsct_error_set(err, TSCT_ERR_EXISTS, final_path, NULL, -1,
                              "already exists; not replaced");
    return TSCT_OK;
}

tsct_status tsct_publish_check(const char *final_path, tsct_error *err)
{
    if (!final_path || !final_path[0])
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "output", -1, "empty file name");
    return check_rule(final_path, 0, 0, err);
}

int tsct_publish_output_name(const char *output, const char *input, const char *ext, char *buf,
                             size_t size)
{
    struct stat sb;
    const size_t olen = strlen(output);
    const int folder = (olen > 0 && output[olen - 1] == '/') ||
                       (stat(output, &sb) == 0 && S_ISDIR(sb.st_mode));
    if (!folder || !input) {
        snprintf(buf, size, "%s", output);
        return folder;
    }
    const char *sep = strstr(input, "::");
    size_t end = sep ? (size_t)(sep - input) : strlen(input);
    size_t start = end;
    while (start > 0 && input[start - 1] != '/')
        start--;
    size_t stem = end;
    if (ext && ext[0]) {
        while (stem > start + 1 && input[stem - 1] != '.')
            stem--;
        stem = stem > start + 1 ? stem - 1 : end;
    }
    const char *slash = olen > 0 && output[olen - 1] == '/' ? "" : "/";
    snprintf(buf, size, "%s%s%.*s%s%s", output, slash, (int)(stem - start), input + start,
             ext && ext[0] ? "." : "", ext && ext[0] ? ext : "");
    return 1;
}

/* The folder a new file of path goes into, for messages ("." for a bare name). */
static void parent_of(const char *path, char *buf, size_t size)
{
    snprintf(buf, size, "%s", path);
    char *d = dirname(buf);
    if (d != buf)
        memmove(buf, d, strlen(d) + 1);
}

static tsct_status begin(tsct_publish *pub, const char *final_path, int replace,
                         tsct_error *err);

tsct_status tsct_publish_begin(tsct_publish *pub, const char *final_path, tsct_error *err)
{
    return begin(pub, final_path, 0, err);
}

tsct_status tsct_publish_begin_replace(tsct_publish *pub, const char *final_path,
                                       tsct_error *err)
{
    return begin(pub, final_path, 1, err);
}

static tsct_status begin(tsct_publish *pub, const char *final_path, int replace,
                         tsct_error *err)
{
    memset(pub, 0, sizeof *pub);
    if (!final_path || !final_path[0])
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "output", -1, "empty file name");
    size_t n = strlen(final_path);
    if (n + 20 >= TSCT_PATH_MAX)
        return tsct_error_set(err, TSCT_ERR_VALUE, final_path, NULL, -1, "file name too long");
    TSCT_TRY(check_rule(final_path, 0, replace, err));
    memcpy(pub->final_path, final_path, n + 1);
    pub->replace = replace;
    snprintf(pub->tmp_path, sizeof pub->tmp_path, "%s.partial.XXXXXX", final_path);
    int fd = mkstemp(pub->tmp_path);
    if (fd < 0) {
        int e = errno;
        pub->tmp_path[0] = '\0';
        char dir[TSCT_PATH_MAX];
        parent_of(final_path, dir, sizeof dir);
        return tsct_error_set(err, TSCT_ERR_IO, final_path, NULL, -1,
                              "cannot create a file in folder '%s': %s", dir, strerror(e));
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
    tsct_status st = check_rule(pub->final_path, 0, pub->replace, err);
    if (st != TSCT_OK) {
        tsct_publish_abort(pub);
        return st;
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
    TSCT_TRY(check_rule(pub->final_path, 1, 0, err));
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
    tsct_status st = check_rule(pub->final_path, 1, 0, err);
    if (st != TSCT_OK) {
        tsct_publish_dir_abort(pub);
        return st;
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

tsct_status tsct_publish_table_open(tsct_publish_table *t, const char *path, FILE *fallback,
                                    tsct_error *err)
{
    t->f = fallback;
    t->file = path != NULL;
    return path ? tsct_publish_fopen(&t->pub, path, &t->f, err) : TSCT_OK;
}

tsct_status tsct_publish_table_close(tsct_publish_table *t, tsct_status st, tsct_error *err)
{
    if (!t->file) {
        if (t->f)
            fflush(t->f);
    } else if (st == TSCT_OK) {
        st = tsct_publish_fclose(&t->pub, t->f, err);
    } else {
        fclose(t->f);
        tsct_publish_abort(&t->pub);
    }
    t->f = NULL;
    t->file = 0;
    return st;
}
