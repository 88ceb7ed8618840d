#!/usr/bin/env bash
# Install the Debian packages that are missing, so that `make demo` and `make test` set up a bare
# Debian machine themselves.
#
#   scripts/system-deps.sh [--stamp FILE] PKG...
#
# - every PKG already installed (dpkg-query): nothing to do, exit 0;
# - some missing, running as root: `apt-get update` once, then `apt-get install -y` the missing ones;
# - some missing, not root: one line naming the exact `sudo apt-get install` command, exit 1;
# - --stamp FILE: FILE records the package list once all of it is installed; while FILE holds
#   exactly this list the check is skipped (make runs this before every test run: no apt-get,
#   no dpkg-query).  The Makefile keeps its stamps in .venv (`make clean-venv` forgets them).
set -euo pipefail

stamp=""
if [ "${1:-}" = "--stamp" ]; then
  if [ $# -lt 2 ]; then
    echo "usage: $0 [--stamp FILE] PKG..." >&2
    exit 2
  fi
  stamp=$2
  shift 2
fi
case "${1:-}" in
  -h|--help)
    sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
    exit 0 ;;
  -*)
    echo "usage: $0 [--stamp FILE] PKG... (unknown option $1)" >&2
    exit 2 ;;
esac

want="$*"
if [ -n "$stamp" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi

missing=()
for pkg in "$@"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$pkg")
done

if [ ${#missing[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "system packages missing: ${missing[*]}; this is not a Debian/Ubuntu system (no apt-get): install them with your package manager, then run make again" >&2
    exit 1
  fi
  if [ "$(id -u)" -ne 0 ]; then
    echo "system packages missing: run  sudo apt-get install -y ${missing[*]}  then run make again" >&2
    exit 1
  fi
  echo "installing system packages: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=300 update -qq
  apt-get -o DPkg::Lock::Timeout=300 install -y -qq "${missing[@]}" >/dev/null
fi

if [ -n "$stamp" ]; then
  mkdir -p "$(dirname "$stamp")"
  printf '%s' "$want" > "$stamp"
fi
