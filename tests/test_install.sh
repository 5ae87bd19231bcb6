#!/bin/sh
# test_install.sh - `make install` gives a working library for other programs: the headers,
# libtsct.so and libtsct.a, tsct.pc for pkg-config, the tsct program and the Python module,
# under a prefix.
set -u
. "$TSCT_SRC/tests/lib.sh"
prefix="$TSCT_TMP/prefix"
run 0 cmake --install "$TSCT_BUILD" --prefix "$prefix"
for f in bin/tsct include/tsct/container.h include/tsct/status.h; do
    [ -e "$prefix/$f" ] || fail "missing $f after install"
done
pcdir=$(dirname "$(find "$prefix" -name tsct.pc | head -1)")
[ -n "$pcdir" ] || fail "tsct.pc not installed"
libdir=$(dirname "$(find "$prefix" -name 'libtsct.so*' | head -1)")
[ -e "$libdir/libtsct.a" ] || fail "libtsct.a not installed"

cat > "$TSCT_TMP/user.c" <<'C'
#include <stdio.h>
#include <string.h>
#include <tsct/container.h>
#include <tsct/version.h>
int main(int argc, char **argv)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_container *c = NULL;
    if (tsct_container_create(argv[1], 1, &c, &err) != TSCT_OK) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    double q[3] = {1, 2, 3};
    tsct_status st = tsct_container_write_vector(c, TSCT_PATH_RECON_Q, q, 3, "A^-1", &err);
    tsct_container_close(c, NULL);
    printf("tsct %s: %s\n", tsct_version(), st == TSCT_OK ? "ok" : err.message);
    return argc == 2 && st == TSCT_OK ? 0 : 1;
}
C
extra=""
[ "${TSCT_SANITIZE:-OFF}" = "ON" ] && extra="-fsanitize=address,undefined"
export PKG_CONFIG_PATH="$pcdir"
cflags=$(pkg-config --cflags tsct) || fail "pkg-config --cflags"
libs=$(pkg-config --libs tsct) || fail "pkg-config --libs"
run 0 cc -std=c11 $extra $cflags "$TSCT_TMP/user.c" -o "$TSCT_TMP/user_shared" $libs
LD_LIBRARY_PATH="$libdir" run 0 "$TSCT_TMP/user_shared" "$TSCT_TMP/a.h5"
expect_out ": ok"
static_libs=$(pkg-config --static --libs tsct) || fail "pkg-config --static --libs"
run 0 cc -std=c11 $extra $cflags "$TSCT_TMP/user.c" -o "$TSCT_TMP/user_static" \
    "$libdir/libtsct.a" $(echo "$static_libs" | sed 's/-ltsct//')
run 0 "$TSCT_TMP/user_static" "$TSCT_TMP/b.h5"
expect_out ": ok"
run 0 "$prefix/bin/tsct" info "$TSCT_TMP/b.h5"
expect_out "recon"

# Every installed header stands alone: it includes what it uses (C11 and C++).
for h in "$prefix"/include/tsct/*.h; do
    name=$(basename "$h")
    printf '#include <tsct/%s>\n' "$name" > "$TSCT_TMP/one.c"
    run 0 cc -std=c11 -Wall -Werror -fsyntax-only $cflags "$TSCT_TMP/one.c"
    if command -v c++ >/dev/null 2>&1; then
        cp "$TSCT_TMP/one.c" "$TSCT_TMP/one.cpp"
        run 0 c++ -Wall -Werror -fsyntax-only $cflags "$TSCT_TMP/one.cpp"
    fi
done

# The Python module, installed where Debian's Python looks under the prefix, loads the
# prefix's libtsct by itself (no TSCT_LIBRARY). A sanitizer build's library needs the ASan
# runtime loaded first, and the interpreter's own allocations are not ours to check for leaks.
pydir="$prefix/lib/python3/dist-packages"
[ -e "$pydir/tsct/_installed.py" ] || fail "the Python module is not installed"
preload=""
[ "${TSCT_SANITIZE:-OFF}" = "ON" ] && preload=$(cc -print-file-name=libasan.so)
run 0 env -u TSCT_LIBRARY PYTHONPATH="$pydir" LD_PRELOAD="$preload" ASAN_OPTIONS=detect_leaks=0 \
    "$PYTHON" -c "import tsct, numpy; print(tsct.library_path, tsct.version()); \
print(tsct.recon(numpy.ones((4, 8), numpy.float32), centre='none').shape)"
expect_out "$libdir/libtsct.so"
expect_out "(8, 8)"
finish
