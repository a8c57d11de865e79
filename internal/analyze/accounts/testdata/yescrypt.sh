#!/usr/bin/env bash
# Regenerates yescrypt.tsv: yescrypt hashes made by the system's crypt(3)
# (libxcrypt, through mkpasswd of Debian's whois and perl's crypt), one
# line each: the password, the setting given to crypt(3), and what crypt(3)
# returned ("*0" or "*1" for a setting it refuses). The settings cover the
# three flavors (RW, WORM, classic scrypt), p and t, salts of every length
# class, and passwords empty, long and not ASCII, at low cost; one line
# has mkpasswd's default cost (N=4096, r=32), which takes the pre-hash
# path. Running it again changes the salts; the test reads everything from
# the file.
set -euo pipefail
cd "$(dirname "$0")"
ALPHA='./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
# salt CHARS: random salt characters (4 characters are 3 bytes)
salt() {
	local s="" i
	for ((i = 0; i < $1; i++)); do s+="${ALPHA:RANDOM%64:1}"; done
	printf '%s' "$s"
}
# salt22: a 16-byte salt (the last of its 22 characters carries 4 bits)
salt22() { printf '%s%s' "$(salt 21)" "${ALPHA:RANDOM%4:1}"; }
crypt() { PW="$1" SET="$2" perl -e 'print crypt($ENV{PW}, $ENV{SET})'; }
long=$(printf 'x%.0s' {1..300})
{
	for pw in admin '' 'Xq9#vT2!pLw0rZ8m' 'pässwörd€' "$long" 'space and ; semicolon'; do
		# RW (the default flavor "j"): N=1024 r=8, N=1024 r=32, N=2048 r=32
		for p in j75 j7T j8T; do
			set="\$y\$$p\$$(salt22)\$"
			printf '%s\t%s\t%s\n' "$pw" "$set" "$(crypt "$pw" "$set")"
		done
	done
	for par in \
		j75.. j75.0 j75/. j75// j750./ j85 \
		/75 /75/. /75/0 /85.. \
		.75 .85 .75.0 \
		; do
		set="\$y\$$par\$$(salt22)\$"
		printf '%s\t%s\t%s\n' admin "$set" "$(crypt admin "$set")"
	done
	# salt lengths: none, 1, 2, 3, 16 and 64 bytes; then trailing bits set
	# and 66 bytes, which crypt(3) refuses
	for s in '' "$(salt 1)." "$(salt 2)0" "$(salt 4)" "$(salt22)" "$(salt 84)1." "$(salt 1)z" "$(salt 2)z" "$(salt 88)"; do
		set="\$y\$j75\$$s\$"
		printf '%s\t%s\t%s\n' root "$set" "$(crypt root "$set")"
	done
	# a setting without the closing '$'; settings crypt(3) refuses: unknown
	# flavor, ROM, hash upgrades, no salt end, bad characters
	for set in "\$y\$j75\$$(salt 8)" '$y$k75$abcd$' '$y$j75B$abcd$' '$y$j751.$abcd$' '$y$j7$abcd$' '$y$j75$ab!d$'; do
		printf '%s\t%s\t%s\n' root "$set" "$(crypt root "$set")"
	done
	# the default cost, made by mkpasswd
	h=$(mkpasswd -m yescrypt admin)
	printf '%s\t%s\t%s\n' admin "$h" "$h"
} > yescrypt.tsv
