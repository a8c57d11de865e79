#!/usr/bin/env bash
# Regenerates shadow20: a shadow file of 20 accounts with SHA-512-crypt
# hashes made by `openssl passwd -6` (random salts), the cracking workload
# of a router root file system. Four passwords are on the default list
# near its top (the user's own default pairs or the user name), sixteen are
# random and never crack: their budget runs out. Running it again changes
# the salts and the random passwords; the tests read the file.
set -euo pipefail
cd "$(dirname "$0")"
{
	for u in admin:admin root:root support:support user:user; do
		printf '%s:%s:20157:0:99999:7:::\n' "${u%%:*}" "$(openssl passwd -6 "${u#*:}")"
	done
	for i in $(seq 1 16); do
		printf 'svc%02d:%s:20157:0:99999:7:::\n' "$i" "$(openssl passwd -6 "$(openssl rand -base64 18)")"
	done
} >shadow20
