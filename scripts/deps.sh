#!/bin/bash
# Installs what building and testing need, from Debian's archive (as root).
# Does nothing when everything is there already.
set -euo pipefail
packages="build-essential cmake pkg-config libdw-dev libelf-dev libzstd-dev libsqlite3-dev libpq-dev postgresql libiberty-dev
          elfutils gdb strace zstd clang procps util-linux time
          python3 python3-jsonschema libc6-dbg dwz
          chromium fonts-dejavu-core libclang-rt-14-dev rustc
          man-db groff-base ruby default-jdk-headless nodejs debootstrap debuginfod"
missing=""
for p in $packages; do
	dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages:$missing — run as root to install them" >&2
	exit 1
fi
echo "deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
