#!/usr/bin/env bash
# Installs the Debian 12 packages annodb needs to build, test and run.
#
# Idempotent: checks every package with dpkg-query first and calls apt-get
# (update + install) only when something is missing, so a second run on a
# machine that is already set up touches nothing. Runs as root; as another
# user it uses sudo when it has to install something.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config g++ git
  liblmdb-dev lmdb-utils
  libflatbuffers-dev flatbuffers-compiler
  libxxhash-dev libuv1-dev libboost-dev
  catch2 libsimdjson-dev nlohmann-json3-dev libcli11-dev
  libhnswlib-dev libsqlite3-dev python3
  clang libclang-rt-14-dev
)

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "setup.sh: dpkg-query not found; this script supports Debian 12 (bookworm) only." >&2
  exit 1
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
  status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
  if [ "$status" != "install ok installed" ]; then
    missing+=("$pkg")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "setup.sh: all ${#PACKAGES[@]} required packages are installed."
  exit 0
fi

echo "setup.sh: installing missing packages: ${missing[*]}"

as_root=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
  else
    echo "setup.sh: not root and sudo is not available; install as root:" >&2
    echo "  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
fi

"${as_root[@]}" apt-get update
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y --no-install-recommends "${missing[@]}"
echo "setup.sh: done."
