#!/usr/bin/env bash
# Run by ctest ("install: consumer builds against installed tree"):
#   run.sh <build-dir> <work-dir> <libdir> <cmake> <cc> <c++> <version> [<cli-path>]
# Installs <build-dir> into <work-dir>/prefix, builds this directory's
# consumer project against it with CMake, runs both programs, then compiles
# the C program again with `cc $(pkg-config --cflags --libs annodb)`.
set -euo pipefail

if [ "$#" -lt 7 ]; then
  echo "usage: $0 <build-dir> <work-dir> <libdir> <cmake> <cc> <c++> <version> [<cli-path>]" >&2
  exit 2
fi
build_dir="$1"
work="$2"
libdir="$3"
cmake_bin="$4"
cc_bin="$5"
cxx_bin="$6"
version="$7"
cli_rel="${8:-}"
src="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

prefix="$work/prefix"
rm -rf "$work"
mkdir -p "$work"

step() { printf '\n--- install test: %s\n' "$*"; }

step "cmake --install $build_dir --prefix $prefix"
"$cmake_bin" --install "$build_dir" --prefix "$prefix"

for f in "$libdir/cmake/annodb/annodbConfig.cmake" "$libdir/pkgconfig/annodb.pc" \
         include/annodb/annodb.h include/annodb/store.h share/annodb/schema; do
  if [ ! -e "$prefix/$f" ]; then
    echo "missing from the installed tree: $f" >&2
    exit 1
  fi
done
if [ -n "$cli_rel" ] && [ ! -x "$prefix/$cli_rel" ]; then
  echo "the command-line program is missing from the installed tree: $cli_rel" >&2
  exit 1
fi
if ! ls "$prefix"/include/annodb/schema/*_generated.h >/dev/null 2>&1; then
  echo "no generated FlatBuffers headers in $prefix/include/annodb/schema" >&2
  exit 1
fi

step "configure the consumer with find_package(annodb CONFIG)"
# Only the consumer's own environment: no compiler flags from the caller.
unset CFLAGS CXXFLAGS LDFLAGS CMAKE_PREFIX_PATH
"$cmake_bin" -S "$src" -B "$work/build" \
  -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_COMPILER="$cc_bin" -DCMAKE_CXX_COMPILER="$cxx_bin" \
  -DCMAKE_PREFIX_PATH="$prefix" \
  -DANNODB_EXPECTED_PREFIX="$prefix"

step "build the consumer"
"$cmake_bin" --build "$work/build" -j2

step "run the consumers"
"$work/build/c_consumer"
mkdir -p "$work/stores"
"$work/build/cpp_consumer" "$work/stores/cpp"
if [ ! -f "$work/stores/cpp/data.mdb" ]; then
  echo "cpp_consumer did not create $work/stores/cpp/data.mdb" >&2
  exit 1
fi

step "compile the C consumer with pkg-config"
export PKG_CONFIG_PATH="$prefix/$libdir/pkgconfig"
pc_version="$(pkg-config --modversion annodb)"
if [ "$pc_version" != "$version" ]; then
  echo "pkg-config reports annodb $pc_version, expected $version" >&2
  exit 1
fi
pc_prefix="$(cd "$(pkg-config --variable=prefix annodb)" && pwd -P)"
if [ "$pc_prefix" != "$(cd "$prefix" && pwd -P)" ]; then
  echo "pkg-config found annodb in $pc_prefix, expected $prefix" >&2
  exit 1
fi
# shellcheck disable=SC2046  # word splitting of pkg-config output is intended
"$cc_bin" -std=c11 -Wall -Wextra -Werror -o "$work/c_consumer_pc" "$src/c_consumer.c" \
  $(pkg-config --cflags --libs annodb)
LD_LIBRARY_PATH="$prefix/$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$work/c_consumer_pc"

step "OK"
