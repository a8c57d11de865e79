#!/bin/sh
# Builds a minimal Debian bookworm root file system with debootstrap, for the
# SBOM comparison test (internal/analyze/inventory) and scripts/bench-sbom.sh.
# Usage: scripts/mkrootfs-debian.sh [DIR]   (default: ${THINGSEC_CACHE:-/tmp}/thingsec-debootstrap)
# The mirror is the one apt is configured with.
set -eu
dir=${1:-${THINGSEC_CACHE:-/tmp}/thingsec-debootstrap}
if [ -f "$dir/var/lib/dpkg/status" ] && [ -x "$dir/bin/sh" ]; then
	echo "$dir exists"
	exit 0
fi
mirror=$(grep -hE '^(URIs:|deb )' /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null |
	grep -v security | head -n1 | sed -E 's/^URIs: *//; s/^deb +(\[[^]]*\] +)?//; s/ .*//')
mirror=${mirror:-http://deb.debian.org/debian}
rm -rf "$dir.tmp"
debootstrap --variant=minbase bookworm "$dir.tmp" "$mirror"
mv "$dir.tmp" "$dir"
echo "$dir ready"
