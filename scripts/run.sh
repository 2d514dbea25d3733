#!/usr/bin/env bash
# The entry point for building, demonstrating and testing annodb.
#
#   bash scripts/run.sh demo   install missing packages, build the release
#                              preset, run scripts/demo.sh
#   bash scripts/run.sh test   install missing packages, build and test the
#                              release preset, then the asan preset, then the
#                              fuzz preset (libFuzzer smoke runs, clang)
#   bash scripts/run.sh build  install missing packages, build the release preset
#   bash scripts/run.sh setup  only install missing packages
#
# Runs from anywhere (it changes to the repository root). Presets are defined
# in CMakePresets.json: release -> build/release, asan -> build/asan,
# fuzz -> build/fuzz.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

section() {
  printf '\n==== [%4ds] %s ====\n' "$SECONDS" "$*"
}

usage() {
  sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

do_setup() {
  section "setup: Debian packages"
  bash scripts/setup.sh
}

# build_preset <preset>: configure and build one preset.
build_preset() {
  section "configure: cmake --preset $1"
  cmake --preset "$1"
  section "build: cmake --build --preset $1"
  cmake --build --preset "$1"
}

# test_preset <preset>: runs ctest; returns its status instead of exiting.
test_preset() {
  section "test: ctest --preset $1"
  local rc=0
  ctest --preset "$1" || rc=$?
  if [ "$rc" -eq 0 ]; then
    echo "ctest --preset $1: all tests passed"
  else
    echo "ctest --preset $1: FAILED (exit $rc)"
  fi
  return "$rc"
}

cmd_demo() {
  do_setup
  build_preset release
  section "demo: scripts/demo.sh"
  if [ -f scripts/demo.sh ]; then
    bash scripts/demo.sh
  else
    echo "note: scripts/demo.sh does not exist yet; the build succeeded and the"
    echo "      command-line program is build/release/tools/annodb/annodb."
  fi
  section "demo: done"
}

cmd_test() {
  do_setup
  local failed=()

  # A build failure stops the run; a test failure in the release preset
  # still lets the asan preset run, so one CI run reports both.
  build_preset release
  test_preset release || failed+=("release tests")

  build_preset asan
  test_preset asan || failed+=("asan tests")

  # Each fuzz target runs its seed corpus, then fuzzes for a few seconds
  # (docs/testing/fuzzing.md).
  build_preset fuzz
  test_preset fuzz || failed+=("fuzz smoke tests")

  if [ "${#failed[@]}" -ne 0 ]; then
    section "test: FAILED: ${failed[*]}"
    exit 1
  fi
  section "test: all release, asan and fuzz tests passed"
}

case "${1:-}" in
  demo) cmd_demo ;;
  test) cmd_test ;;
  build) do_setup; build_preset release ;;
  setup) do_setup ;;
  -h|--help|help) usage ;;
  *)
    usage >&2
    exit 2
    ;;
esac
