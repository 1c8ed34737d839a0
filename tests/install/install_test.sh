#!/usr/bin/env bash
# install_package: spool installed with `cmake --install` is usable by a project outside its
# tree, and nothing of the installed package points back at the build or source tree.
#
#   tests/install/install_test.sh BUILD_DIR
#
# Installs BUILD_DIR into a temporary prefix, moves the prefix elsewhere (installed paths must
# be relative to it), then builds tests/install/consumer/ (a C program on spool.h) with CMake
# (find_package(spool): spool::spool and spool::spool_static) and with pkg-config (shared, and
# --static against libspool.a), runs each, checks which libspool each one loads, runs the
# installed spoolctl and imports the installed Python package. CMAKE (default: cmake), CC
# (default: cc) and PYTHON (default: python3) name the tools. Exits non-zero at the first
# failure, saying what failed; the temporary directory is removed in every case.
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 BUILD_DIR" >&2
  exit 2
fi
build_dir=$(cd "$1" && pwd -P)
source_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
consumer_dir=$source_dir/tests/install/consumer
cmake=${CMAKE:-cmake}
cc=${CC:-cc}
python=${PYTHON:-python3}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tmp=$(cd "$tmp" && pwd -P)

fail() {
  echo "install_test: FAIL: $*" >&2
  exit 1
}
step() {
  echo "install_test: $*"
}

# The consumers must find libspool only where the test says: no loader or pkg-config paths
# inherited from the caller, and none of spool's own test settings.
unset LD_LIBRARY_PATH SPOOL_LIBRARY PYTHONPATH PKG_CONFIG_PATH CMAKE_PREFIX_PATH

# ---- Install, then move: every installed path must be relative to the prefix. ------------
step "cmake --install $build_dir --prefix $tmp/staging"
"$cmake" --install "$build_dir" --prefix "$tmp/staging" >"$tmp/install.log" ||
  { cat "$tmp/install.log" >&2; fail "cmake --install"; }
mv "$tmp/staging" "$tmp/prefix"
prefix=$tmp/prefix

for file in include/spool/spool.h lib/libspool.so.0.1.0 lib/libspool.a bin/spoolctl bin/spoold \
            lib/cmake/spool/spoolConfig.cmake lib/cmake/spool/spoolConfigVersion.cmake \
            lib/cmake/spool/spoolTargets.cmake lib/cmake/spool/spoolStaticTargets.cmake \
            lib/pkgconfig/spool.pc share/spool/python/spool/__init__.py \
            share/spool/python/spool/_native.py; do
  [[ -f $prefix/$file ]] || fail "not installed: $file"
done
[[ -x $prefix/bin/spoolctl && -x $prefix/bin/spoold ]] || fail "bin/spoolctl or bin/spoold is not executable"
[[ $(readlink "$prefix/lib/libspool.so.0") == libspool.so.0.1.0 ]] || fail "lib/libspool.so.0 is not a link to libspool.so.0.1.0"
[[ $(readlink "$prefix/lib/libspool.so") == libspool.so.0 ]] || fail "lib/libspool.so is not a link to libspool.so.0"
# Only the C header: the C++ headers are not usable with what is installed (cmake/install.cmake).
headers=$(cd "$prefix/include" && find . -type f | sort)
[[ $headers == "./spool/spool.h" ]] || fail "include/ holds more than spool/spool.h: $headers"

# No installed text file names the build or the source tree, and no installed ELF file has a
# run path into them.
if grep -rlF -e "$build_dir" -e "$source_dir" "$prefix/lib/cmake" "$prefix/lib/pkgconfig" "$prefix/share" "$prefix/include"; then
  fail "the installed files above name the build or source tree"
fi
for elf in "$prefix"/lib/libspool.so.0.1.0 "$prefix"/bin/spoolctl "$prefix"/bin/spoold; do
  if readelf -d "$elf" | grep -E "R(UN)?PATH" | grep -qF -e "$build_dir" -e "$source_dir"; then
    fail "$elf has a run path into the build or source tree"
  fi
done

# ---- The installed CLI. ---------------------------------------------------------------------
version=$(sed -n 's/^Version: *//p' "$prefix/lib/pkgconfig/spool.pc")
[[ -n $version ]] || fail "spool.pc has no Version"
step "spoolctl --version"
spoolctl_version=$("$prefix/bin/spoolctl" --version) || fail "spoolctl --version exited non-zero"
[[ $spoolctl_version == *"$version"* ]] || fail "spoolctl --version says '$spoolctl_version', the package is $version"

# Runs a consumer binary on a log of its own and checks where its libspool comes from:
# "shared" (libspool.so.0 from $prefix/lib) or "static" (no libspool.so at all).
run_consumer() {
  local binary=$1 linkage=$2 name
  name=$(basename "$binary")
  step "$name ($linkage)"
  local resolved
  resolved=$(ldd "$binary" | grep -F libspool || true)
  if [[ $linkage == shared ]]; then
    [[ $resolved == *"libspool.so.0 => $prefix/lib/libspool.so.0 "* ]] ||
      fail "$name loads libspool from elsewhere than $prefix/lib: ${resolved:-(not at all)}"
  else
    [[ -z $resolved ]] || fail "$name, linked with libspool.a, still needs libspool.so: $resolved"
  fi
  "$binary" "$tmp/logs/$name" 5 || fail "$name exited non-zero"
}
mkdir -p "$tmp/logs"

# ---- CMake: find_package(spool) from CMAKE_PREFIX_PATH. -------------------------------------
step "consumer with CMake, CMAKE_PREFIX_PATH=$prefix"
"$cmake" -S "$consumer_dir" -B "$tmp/cmake-build" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF >"$tmp/cmake-configure.log" 2>&1 ||
  { cat "$tmp/cmake-configure.log" >&2; fail "configuring the consumer with CMake"; }
spool_dir=$(sed -n 's/^spool_DIR:PATH=//p' "$tmp/cmake-build/CMakeCache.txt")
[[ $spool_dir == "$prefix/lib/cmake/spool" ]] || fail "find_package(spool) found $spool_dir, not $prefix/lib/cmake/spool"
"$cmake" --build "$tmp/cmake-build" >"$tmp/cmake-build.log" 2>&1 ||
  { cat "$tmp/cmake-build.log" >&2; fail "building the consumer with CMake"; }
run_consumer "$tmp/cmake-build/spool_consumer" shared
run_consumer "$tmp/cmake-build/spool_consumer_static" static

# ---- pkg-config: the shared library, then libspool.a with --static. ---------------------------
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
step "consumer with pkg-config, PKG_CONFIG_PATH=$PKG_CONFIG_PATH"
[[ $(pkg-config --modversion spool) == "$version" ]] || fail "pkg-config finds another spool: $(pkg-config --path spool)"
mkdir -p "$tmp/pkg-config-build"
# shellcheck disable=SC2046  # the flags are words
"$cc" -std=c99 -Wall -Werror -o "$tmp/pkg-config-build/spool_consumer_pc" "$consumer_dir/consumer.c" \
  $(pkg-config --cflags --libs spool) || fail "building the consumer with pkg-config"
# The linker prefers libspool.so to libspool.a in the same folder: name the archive.
static_libs=$(pkg-config --static --libs spool)
[[ " $static_libs " == *" -lspool "* ]] || fail "pkg-config --static --libs spool has no -lspool: $static_libs"
static_libs=${static_libs/-lspool/-l:libspool.a}
# shellcheck disable=SC2046,SC2086
"$cc" -std=c99 -Wall -Werror -o "$tmp/pkg-config-build/spool_consumer_pc_static" "$consumer_dir/consumer.c" \
  $(pkg-config --cflags spool) $static_libs || fail "building the consumer with pkg-config --static"
LD_LIBRARY_PATH=$prefix/lib run_consumer "$tmp/pkg-config-build/spool_consumer_pc" shared
run_consumer "$tmp/pkg-config-build/spool_consumer_pc_static" static

# ---- Python: the installed package loads the installed library on its own. --------------------
step "python: import spool from $prefix/share/spool/python"
PYTHONPATH=$prefix/share/spool/python "$python" - "$prefix" "$tmp/logs/python" <<'EOF' || fail "the installed Python package"
import os
import sys

import spool
from spool import _native

prefix, log_dir = sys.argv[1], sys.argv[2]
loaded = os.path.realpath(_native.lib._name)
expected = os.path.realpath(os.path.join(prefix, "lib", "libspool.so.0"))
if loaded != expected:
    sys.exit(f"spool loaded {loaded}, not {expected}")
if not os.path.realpath(spool.__file__).startswith(os.path.realpath(prefix) + os.sep):
    sys.exit(f"imported {spool.__file__}, not the installed package")
with spool.Buffer(log_dir) as buffer:
    for i in range(3):
        if not buffer.add_span({"name": f"python-{i}"}):
            sys.exit("a span was dropped")
    buffer.flush()
    stats = buffer.stats()
    if stats["appended"] != 3 or stats["written"] != 3:
        sys.exit(f"unexpected stats: {stats}")
EOF

step "PASS"
