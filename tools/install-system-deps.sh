#!/usr/bin/env bash
# System packages: the libraries nsjail links (libnl), and slurm-wlm + munge for the test that
# starts a real single-node SLURM (tests/test_slurm.py). Installs them when run as root with
# apt-get; otherwise says what is missing — the sandbox then falls back to weaker isolation and
# the SLURM test skips, saying why.
set -euo pipefail
pkgs=()
for lib in libnl-3.so.200 libnl-route-3.so.200; do
  ldconfig -p 2>/dev/null | grep -q "$lib" || { pkgs+=(libnl-3-200 libnl-route-3-200); break; }
done
command -v slurmctld >/dev/null && command -v munged >/dev/null || pkgs+=(slurm-wlm munge)
if [ ${#pkgs[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null \
    || { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null; }
else
  echo "note: ${pkgs[*]} not installed (needs root and apt-get): nsjail / the local SLURM test will not run" >&2
fi
