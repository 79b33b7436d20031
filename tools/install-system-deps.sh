#!/usr/bin/env bash
# System libraries the sandbox needs (nsjail links libnl). Installs them when run as root with
# apt-get; otherwise says what is missing — the sandbox then falls back to weaker isolation.
set -euo pipefail
need=()
for lib in libnl-3.so.200 libnl-route-3.so.200; do
  ldconfig -p 2>/dev/null | grep -q "$lib" || need+=("$lib")
done
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  apt-get install -y -qq libnl-3-200 libnl-route-3-200 >/dev/null \
    || { apt-get update -qq && apt-get install -y -qq libnl-3-200 libnl-route-3-200 >/dev/null; }
else
  echo "note: ${need[*]} missing (install libnl-3-200 libnl-route-3-200); nsjail will not run" >&2
fi
