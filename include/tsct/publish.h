/* tsct/publish.h - atomic publication of output files.
 *
 * An output file is written under a temporary name in the same directory
 * ("NAME.partial.XXXXXX"), flushed to disk with fsync, and renamed over NAME only when it is
 * complete; the directory is then fsynced so the rename survives a power cut. A run that is
 * killed leaves at most a ".partial." file, never a NAME that looks complete but is not.
 *
 *     tsct_publish pub;
 *     TSCT_TRY(tsct_publish_begin(&pub, "out.h5", err));
 *     ... write tsct_publish_tmp_path(&pub) with any library ...
 *     if (ok) st = tsct_publish_commit(&pub, err); else tsct_publish_abort(&pub);
 *
 * For stdio writers, tsct_publish_fopen() / tsct_publish_fclose() wrap the same steps.
 * The struct lives in caller memory; a begun publication must end in commit or abort.
 */
#ifndef TSCT_PUBLISH_H
#define TSCT_PUBLISH_H

#include <stdio.h>

#include "tsct/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TSCT_PATH_MAX 4096

typedef struct tsct_publish {
    char final_path[TSCT_PATH_MAX];
    char tmp_path[TSCT_PATH_MAX];
    int active;   /* 1 between begin and commit/abort */
    int replace;  /* 1: begun with tsct_publish_begin_replace */
} tsct_publish;

/* Create an empty temporary file next to final_path (mode 0644 minus umask). Errors:
 * TSCT_ERR_VALUE (path too long or empty, or final_path is an input: see the write rule
 * below), TSCT_ERR_EXISTS (final_path exists and replacing is not allowed), TSCT_ERR_IO
 * (directory missing or not writable, final_path is a folder). */
tsct_status tsct_publish_begin(tsct_publish *pub, const char *final_path, tsct_error *err);

/* As tsct_publish_begin(), but an existing final_path is replaced whatever the policy of
 * tsct_publish_set_replace(): for a caller that has itself decided to replace it (an
 * explicit "overwrite" argument, a temporary file of its own). Inputs stay protected. */
tsct_status tsct_publish_begin_replace(tsct_publish *pub, const char *final_path,
                                       tsct_error *err);
/* The temporary path to write to. */
const char *tsct_publish_tmp_path(const tsct_publish *pub);

/* fsync the temporary file, rename it to the final path (replacing any old file) and fsync the
 * directory. Errors: TSCT_ERR_IO (the temporary file is then removed). */
tsct_status tsct_publish_commit(tsct_publish *pub, tsct_error *err);

/* Remove the temporary file. Safe to call on an inactive publication. */
void tsct_publish_abort(tsct_publish *pub);

/* begin + fopen(tmp, "wb"). On error nothing is left behind. */
tsct_status tsct_publish_fopen(tsct_publish *pub, const char *final_path, FILE **fp,
                               tsct_error *err);

/* fclose(fp), checking for write errors, then commit. On a write error the temporary file is
 * removed and TSCT_ERR_IO returned. */
tsct_status tsct_publish_fclose(tsct_publish *pub, FILE *fp, tsct_error *err);

/* A text table a front end or a stage writes (tsct coverage, tsct particles): to `fallback`
 * (standard output, or NULL for none) when path is NULL, else to a file published only if the
 * work succeeds. open: TSCT_ERR_EXISTS and the write rule's errors (tsct_publish_fopen).
 * close: publishes when st is TSCT_OK (returning a write error), removes the partial file
 * otherwise, and returns st. */
typedef struct tsct_publish_table {
    FILE *f;
    tsct_publish pub;
    int file;
} tsct_publish_table;
tsct_status tsct_publish_table_open(tsct_publish_table *t, const char *path, FILE *fallback,
                                    tsct_error *err);
tsct_status tsct_publish_table_close(tsct_publish_table *t, tsct_status st, tsct_error *err);

/* The file an output option names for the output of one input file: when output is an
 * existing folder, or ends in '/', the file FOLDER/BASE.ext in it (BASE: input's file name
 * without folders, without its last extension and without a "::/dataset" suffix); otherwise
 * output itself. So `-o DIR` means "into DIR" for every command that writes one file per
 * input, and a command never renames its result onto a folder. ext without the dot (NULL or
 * "": the input's own extension kept). Returns 1 when output named a folder, 0 otherwise;
 * buf receives the path (truncated to size - 1 bytes, which tsct_publish_begin() then
 * refuses as too long only if it reaches TSCT_PATH_MAX). */
int tsct_publish_output_name(const char *output, const char *input, const char *ext, char *buf,
                             size_t size);

/* ---- folders ------------------------------------------------------------------------------
 *
 * A folder of files published as one: created as "NAME.partial.XXXXXX" beside NAME, filled
 * with plain writes, then every regular file in it and the folder itself are fsynced and the
 * folder is renamed to NAME (rename(2) of a folder is atomic), and the parent is fsynced. So
 * NAME, when it exists, holds every file; a killed run leaves a ".partial." folder. NAME must
 * not exist as a non-empty folder at commit (the rename then fails with TSCT_ERR_IO). */

/* Create the temporary folder (mode 0777 minus umask); tsct_publish_tmp_path() names it.
 * Errors as tsct_publish_begin(). */
tsct_status tsct_publish_dir_begin(tsct_publish *pub, const char *final_dir, tsct_error *err);

/* fsync the files and the folder, rename it to the final name, fsync the parent. On error
 * the temporary folder is removed and TSCT_ERR_IO returned. */
tsct_status tsct_publish_dir_commit(tsct_publish *pub, tsct_error *err);

/* Remove the temporary folder and the files in it. Safe on an inactive publication. */
void tsct_publish_dir_abort(tsct_publish *pub);

/* Remove a folder and the files in it (one level: sub-folders are left, and then so is the
 * folder): the ".partial." folder of a killed run. */
void tsct_publish_dir_remove(const char *path);

/* ---- the write rule ------------------------------------------------------------------------
 *
 * Every output of the library is published through this file, so one rule holds for all of
 * them, checked at tsct_publish_begin() / tsct_publish_dir_begin() and again just before the
 * rename of a commit:
 *
 *   1. No output replaces a file that this process read as an input, once a front end has
 *      switched the protection on (tsct_publish_protect_inputs(1); the `tsct` program does,
 *      a library user who writes, reads back and rewrites a file may not). The library's
 *      readers (images, frame stacks, PONI, CIF, text patterns, configurations, echem files,
 *      HDF5 files opened read-only) note each file they open with
 *      tsct_publish_note_input(); the comparison is by device and inode, so another name of
 *      the same file (a link, "./x", an absolute path) is caught too. Error: TSCT_ERR_VALUE
 *      naming the file.
 *   2. An existing output is replaced only when replacing is allowed
 *      (tsct_publish_set_replace()). Error: TSCT_ERR_EXISTS naming the file; nothing is
 *      written. The library's default is to replace (as a library user expects of a write
 *      call); the `tsct` program refuses unless --force is given.
 *
 * The rule is process-wide, like the umask: a front end sets it once per command. The calls
 * are thread-safe. Files noted stay noted until tsct_publish_forget_inputs(). */

/* 1: note inputs and refuse to replace them (off by default). */
void tsct_publish_protect_inputs(int on);
/* Note path (when it exists and protection is on) as an input of this process. Never fails:
 * a path that cannot be stat'ed is not a file anyone could replace, and an allocation
 * failure only loses the note. */
void tsct_publish_note_input(const char *path);
/* Forget every noted input (a front end that runs several commands calls it between them). */
void tsct_publish_forget_inputs(void);
/* 1: an existing output may be replaced (the default); 0: it is refused. */
void tsct_publish_set_replace(int replace);
int tsct_publish_replace(void);
/* The rule for one output path, without writing anything: TSCT_OK, or the error that
 * tsct_publish_begin() would return (for a front end that checks its outputs before a long
 * computation). */
tsct_status tsct_publish_check(const char *final_path, tsct_error *err);

#ifdef __cplusplus
}
#endif
#endif /* TSCT_PUBLISH_H */
