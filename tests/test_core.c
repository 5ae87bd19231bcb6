/* test_core.c - status and error context, arrays, progress, thread count, atomic publish and
 * its write rule, INI configuration text. */
#include <stdatomic.h>
#include <unistd.h>

#include "tsct/array.h"
#include "tsct/ini.h"
#include "tsct/log.h"
#include "tsct/progress.h"
#include "tsct/publish.h"
#include "tsct/threads.h"
#include "tsct_test.h"

static void test_status(void)
{
    for (int s = 0; s < TSCT_STATUS_COUNT_; s++)
        CHECK(strcmp(tsct_strerror((tsct_status)s), "unknown status") != 0);
    CHECK(strcmp(tsct_strerror((tsct_status)999), "unknown status") == 0);
    CHECK(strcmp(tsct_strerror(TSCT_OK), "success") == 0);

    tsct_error err = TSCT_ERROR_INIT;
    CHECK(tsct_error_set(&err, TSCT_ERR_SHAPE, "a.h5", "/entry/recon/data", 7,
                         "expected %d, found %d", 5, 4) == TSCT_ERR_SHAPE);
    CHECK(strcmp(err.message, "a.h5: /entry/recon/data[7]: expected 5, found 4") == 0);
    /* First error wins. */
    CHECK(tsct_error_set(&err, TSCT_ERR_IO, "b", NULL, -1, "later") == TSCT_ERR_IO);
    CHECK(err.status == TSCT_ERR_SHAPE && strcmp(err.file, "a.h5") == 0);
    tsct_error_clear(&err);
    CHECK(err.status == TSCT_OK && err.message[0] == '\0' && err.index == -1);
    /* Filling in the file later. */
    tsct_error_set(&err, TSCT_ERR_FORMAT, NULL, "line", 3, "bad number");
    CHECK(strcmp(err.message, "line[3]: bad number") == 0);
    tsct_error_set_file(&err, "x.cfg");
    CHECK(strcmp(err.message, "x.cfg: line[3]: bad number") == 0);
    /* NULL context and OK status are harmless. */
    CHECK(tsct_error_set(NULL, TSCT_ERR_IO, "f", NULL, -1, "x") == TSCT_ERR_IO);
    tsct_error_clear(&err);
    CHECK(tsct_error_set(&err, TSCT_OK, "f", NULL, -1, "x") == TSCT_OK && err.status == TSCT_OK);
    /* Long strings are truncated, not overflowed. */
    char big[4000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    tsct_error_set(&err, TSCT_ERR_IO, big, big, 1, "%s", big);
    CHECK(strlen(err.file) == sizeof err.file - 1 && strlen(err.message) < sizeof err.message);
}

static void test_array(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_array *a = NULL;
    int64_t shape[3] = {2, 3, 4};
    CHECK_OK(tsct_array_create(&a, 3, shape, &err), &err);
    CHECK(tsct_array_size(a) == 24 && a->stride[0] == 12 && a->stride[1] == 4 && a->stride[2] == 1);
    CHECK(((uintptr_t)a->data % 64) == 0);
    CHECK(tsct_array_is_contiguous(a));
    for (int64_t i = 0; i < 24; i++)
        CHECK(a->data[i] == 0.0f);
    for (int64_t i = 0; i < 24; i++)
        a->data[i] = (float)i;
    int64_t idx[3] = {1, 2, 3};
    CHECK(*tsct_array_at(a, idx) == 23.0f);
    tsct_array v;
    CHECK_OK(tsct_array_view_index(a, 1, &v, &err), &err);
    CHECK(v.ndim == 2 && v.shape[0] == 3 && v.shape[1] == 4 && v.data[0] == 12.0f && !v.owns_data);
    CHECK_FAILS(tsct_array_view_index(a, 2, &v, &err), TSCT_ERR_VALUE, &err, "outside axis 0");
    char buf[64];
    CHECK(strcmp(tsct_shape_format(buf, sizeof buf, 3, shape), "[2][3][4]") == 0);
    CHECK(tsct_shape_equal(3, shape, 3, a->shape) && !tsct_shape_equal(2, shape, 3, shape));
    tsct_array_destroy(a);
    tsct_array_destroy(NULL);

    /* Sizes past 2^31 elements are represented; overflow and negatives are refused. */
    int64_t huge[5] = {400, 3, 629, 400, 2000};
    CHECK(tsct_shape_size(5, huge) == (int64_t)400 * 3 * 629 * 400 * 2000);
    int64_t over[3] = {INT64_MAX / 2, 3, 1};
    CHECK(tsct_shape_size(3, over) == -1);
    CHECK_FAILS(tsct_array_create(&a, 3, over, &err), TSCT_ERR_SHAPE, &err, "too large");
    CHECK(a == NULL);
    int64_t neg[2] = {3, -1};
    CHECK_FAILS(tsct_array_create(&a, 2, neg, &err), TSCT_ERR_SHAPE, &err, "negative");
    CHECK_FAILS(tsct_array_create(&a, 9, shape, &err), TSCT_ERR_SHAPE, &err, "at most 8");
    float mem[6];
    int64_t s2[2] = {2, 3};
    CHECK_OK(tsct_array_wrap(&v, mem, 2, s2, &err), &err);
    CHECK(v.data == mem && v.stride[0] == 3 && !v.owns_data);
}

struct progress_log {
    int calls, finished;
    int64_t last_done;
};

static void progress_fn(void *user, const tsct_progress_state *s)
{
    struct progress_log *l = user;
    l->calls++;
    l->finished += s->finished;
    l->last_done = s->done;
}

static void test_progress(void)
{
    struct progress_log log = {0, 0, 0};
    tsct_progress_sink sink = {progress_fn, &log, 1e-9};
    tsct_progress p;
    tsct_progress_begin(&p, &sink, "units", 1000, 100);
#pragma omp parallel for
    for (int i = 0; i < 900; i++)
        tsct_progress_add(&p, 1);
    tsct_progress_end(&p);
    CHECK(log.calls >= 2 && log.finished == 1 && log.last_done == 1000);

    tsct_progress_state s = {"integrate", 250, 1000, 10.0, 25.0, 30.0, 0};
    char line[200];
    tsct_progress_format(&s, 80, line, sizeof line);
    CHECK_MSG(strstr(line, "integrate [") == line && strstr(line, " 25%") &&
                  strstr(line, "250/1000") && strstr(line, "25/s") && strstr(line, "ETA 0:30"),
              "%s", line);
    s.total = 0;
    tsct_progress_format(&s, 80, line, sizeof line);
    CHECK_MSG(strstr(line, "250") && !strstr(line, "["), "%s", line);
    /* A NULL tracker or sink is silent. */
    tsct_progress_add(NULL, 1);
    tsct_progress_begin(&p, NULL, "x", 10, 0);
    tsct_progress_add(&p, 10);
    tsct_progress_end(&p);
    CHECK(atomic_load(&p.done) == 10);
}

static void test_threads(void)
{
    CHECK(tsct_threads_resolve(3) == 3);
    CHECK(tsct_threads_resolve(0) >= 1);
    CHECK(tsct_threads_resolve(-1) == tsct_threads_resolve(0));
}

static int count_partials(const char *dir)
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "ls %s | grep -c partial", dir);
    FILE *p = popen(cmd, "r");
    int n = -1;
    if (p) {
        if (fscanf(p, "%d", &n) != 1)
            n = -1;
        pclose(p);
    }
    return n;
}

static void test_publish(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    const char *dir = tsct_test_tmpdir(TSCT_TEST_TMP);
    char path[4096];
    snprintf(path, sizeof path, "%s/out.txt", dir);
    unlink(path);

    tsct_publish pub;
    FILE *fp = NULL;
    CHECK_OK(tsct_publish_fopen(&pub, path, &fp, &err), &err);
    fputs("hello\n", fp);
    CHECK(access(path, F_OK) != 0);                 /* nothing under the final name yet */
    CHECK(access(tsct_publish_tmp_path(&pub), F_OK) == 0);
    CHECK(strstr(tsct_publish_tmp_path(&pub), "out.txt.partial.") != NULL);
    CHECK_OK(tsct_publish_fclose(&pub, fp, &err), &err);
    FILE *in = fopen(path, "r");
    char line[32] = "";
    CHECK(in && fgets(line, sizeof line, in) && strcmp(line, "hello\n") == 0);
    if (in)
        fclose(in);
    struct stat st;
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0044) != 0);  /* readable by others (umask 022) */

    /* Abort leaves the old file untouched and no temporary behind. */
    CHECK_OK(tsct_publish_fopen(&pub, path, &fp, &err), &err);
    fputs("half", fp);
    fclose(fp);
    tsct_publish_abort(&pub);
    in = fopen(path, "r");
    CHECK(in && fgets(line, sizeof line, in) && strcmp(line, "hello\n") == 0);
    if (in)
        fclose(in);
    CHECK(count_partials(dir) == 0);

    /* Errors: missing directory, empty name, commit twice. */
    char bad[4200];
    snprintf(bad, sizeof bad, "%s/no/such/dir/x.h5", dir);
    CHECK_FAILS(tsct_publish_begin(&pub, bad, &err), TSCT_ERR_IO, &err, "no/such/dir/x.h5");
    CHECK_FAILS(tsct_publish_begin(&pub, "", &err), TSCT_ERR_VALUE, &err, "empty");
    CHECK_FAILS(tsct_publish_commit(&pub, &err), TSCT_ERR_STATE, &err, "not begun");
}

/* The write rule: an existing output is refused unless replacing is allowed; a noted input
 * is never replaced, under another name either. */
static void test_publish_rule(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    const char *dir = tsct_test_tmpdir(TSCT_TEST_TMP);
    char in[4096], link_name[4200], out[4200];
    snprintf(in, sizeof in, "%s/rule_in.txt", dir);
    snprintf(link_name, sizeof link_name, "%s/rule_link.txt", dir);
    snprintf(out, sizeof out, "%s/rule_out.txt", dir);
    unlink(in);
    unlink(link_name);
    unlink(out);
    FILE *f = fopen(in, "w");
    fputs("input\n", f);
    fclose(f);
    CHECK(link(in, link_name) == 0);
    tsct_publish pub;
    FILE *fp;
    /* Off (the library default): a noted input may be replaced. */
    tsct_publish_note_input(in);
    CHECK_OK(tsct_publish_check(in, &err), &err);
    tsct_publish_protect_inputs(1);
    tsct_publish_note_input(in);
    tsct_error_clear(&err);
    CHECK_FAILS(tsct_publish_begin(&pub, in, &err), TSCT_ERR_VALUE, &err, "is an input");
    tsct_error_clear(&err);
    CHECK_FAILS(tsct_publish_begin(&pub, link_name, &err), TSCT_ERR_VALUE, &err, "is an input");
    tsct_error_clear(&err);
    CHECK_FAILS(tsct_publish_begin_replace(&pub, in, &err), TSCT_ERR_VALUE, &err, "is an input");
    /* Refusing to replace: a new name is fine, an existing one is not. */
    tsct_publish_set_replace(0);
    CHECK_OK(tsct_publish_fopen(&pub, out, &fp, &err), &err);
    fputs("one\n", fp);
    CHECK_OK(tsct_publish_fclose(&pub, fp, &err), &err);
    tsct_error_clear(&err);
    CHECK_FAILS(tsct_publish_begin(&pub, out, &err), TSCT_ERR_EXISTS, &err, "already exists");
    CHECK_OK(tsct_publish_begin_replace(&pub, out, &err), &err);
    tsct_publish_abort(&pub);
    /* A folder is not a file name. */
    tsct_error_clear(&err);
    CHECK_FAILS(tsct_publish_check(dir, &err), TSCT_ERR_IO, &err, "is a folder");
    tsct_publish_forget_inputs();
    tsct_publish_set_replace(1);
    CHECK_OK(tsct_publish_check(in, &err), &err);
    tsct_publish_protect_inputs(0);
    FILE *r = fopen(in, "r");
    char line[32] = "";
    CHECK(r && fgets(line, sizeof line, r) && strcmp(line, "input\n") == 0);
    if (r)
        fclose(r);
}

/* INI text: entries with lines, comments, the bounds, and the typed values. */
static void test_ini(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_ini ini;
    static const char text[] = "\xEF\xBB\xBF# comment\n[a]\nk = v  # note\nn = 12\r\n"
                               "x = 2.5\nb = maybe\nk = w\n; other\n[b-2]\ne =\n";
    CHECK_OK(tsct_ini_parse(&ini, "dir/t.cfg", text, sizeof text - 1, &err), &err);
    CHECK(ini.n == 6 && strcmp(ini.dir, "dir") == 0);
    CHECK(strcmp(tsct_ini_get(&ini, "a", "k"), "w") == 0); /* the last one */
    CHECK(tsct_ini_find(&ini, "a", "k")->line == 7);
    CHECK(strcmp(tsct_ini_get(&ini, "b-2", "e"), "") == 0 && tsct_ini_has_section(&ini, "b-2"));
    int64_t n;
    double x;
    int b, k;
    CHECK_OK(tsct_ini_value_int(&ini, tsct_ini_find(&ini, "a", "n"), 1, 20, &n, &err), &err);
    CHECK(n == 12);
    CHECK_FAILS(tsct_ini_value_int(&ini, tsct_ini_find(&ini, "a", "n"), 1, 10, &n, &err),
                TSCT_ERR_VALUE, &err, "from 1 to 10");
    tsct_error_clear(&err);
    CHECK_OK(tsct_ini_value_double(&ini, tsct_ini_find(&ini, "a", "x"), 0, 3, &x, &err), &err);
    CHECK(x == 2.5);
    CHECK_FAILS(tsct_ini_value_bool(&ini, tsct_ini_find(&ini, "a", "b"), &b, &err),
                TSCT_ERR_VALUE, &err, "dir/t.cfg: b[6]: line 6: [a] b = 'maybe': expected yes");
    tsct_error_clear(&err);
    static const char *const kinds[] = {"v", "w", NULL};
    CHECK_OK(tsct_ini_value_enum(&ini, tsct_ini_find(&ini, "a", "k"), kinds, &k, &err), &err);
    CHECK(k == 1);
    tsct_ini_release(&ini);
    tsct_ini_release(&ini); /* twice is harmless */
    /* Bad text: a NUL inside a line, a key outside a section, a long line, a bad key. */
    static const char nul[] = "[a]\nk\0ey = 1\n";
    CHECK_FAILS(tsct_ini_parse(&ini, "n.cfg", nul, sizeof nul - 1, &err), TSCT_ERR_FORMAT, &err,
                "n.cfg: line[2]: a control byte (0x00)");
    tsct_error_clear(&err);
    CHECK_FAILS(tsct_ini_parse(&ini, "o.cfg", "k = 1\n", 6, &err), TSCT_ERR_FORMAT, &err,
                "outside any [section]");
    tsct_error_clear(&err);
    char *big = malloc(TSCT_INI_LINE_MAX + 16);
    memcpy(big, "[a]\nk = ", 8);
    memset(big + 8, 'x', TSCT_INI_LINE_MAX);
    CHECK_FAILS(tsct_ini_parse(&ini, "l.cfg", big, TSCT_INI_LINE_MAX + 8, &err), TSCT_ERR_FORMAT,
                &err, "longer than");
    free(big);
    tsct_error_clear(&err);
    CHECK_FAILS(tsct_ini_parse(&ini, "k.cfg", "[a]\nk y = 1\n", 12, &err), TSCT_ERR_FORMAT,
                &err, "expected a key");
    tsct_error_clear(&err);
    CHECK_FAILS(tsct_ini_read(&ini, "/nonexistent/x.cfg", &err), TSCT_ERR_IO, &err,
                "/nonexistent/x.cfg");
    /* Messages are one printable line whatever the text held. */
    tsct_error_clear(&err);
    tsct_error_set(&err, TSCT_ERR_VALUE, "f", "k", -1, "a\nb\x01" "c \xff \xc3\xa9");
    CHECK_MSG(strcmp(err.message, "f: k: a\\nb\\x01c \\xff \xc3\xa9") == 0, "%s", err.message);
}

static void log_fn(void *user, tsct_log_level level, const char *line)
{
    char *out = user;
    snprintf(out, 256, "%s: %s", tsct_log_level_name(level), line);
}

static void test_log(void)
{
    char out[256] = "";
    tsct_log log = {TSCT_LOG_INFO, log_fn, out};
    tsct_log_msg(&log, TSCT_LOG_WARN, "centre %.2f", 12.5);
    CHECK(strcmp(out, "warning: centre 12.50") == 0);
    out[0] = '\0';
    tsct_log_msg(&log, TSCT_LOG_DEBUG, "hidden");
    CHECK(out[0] == '\0');
    tsct_log_msg(NULL, TSCT_LOG_ERROR, "nothing");
}

int main(void)
{
    test_status();
    test_array();
    test_progress();
    test_threads();
    test_publish();
    test_publish_rule();
    test_ini();
    test_log();
    return tsct_test_finish("test_core");
}
