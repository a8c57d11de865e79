#!/bin/bash
# xz with branch filters, thingsec against the reference tools on the same
# input: decoding xz streams (xz -dc) and extracting squashfs-xz images
# built with -Xbcj (unsquashfs). Prints CPU time (user + system, which a
# busy machine disturbs less than wall time), wall time and the CPU-time
# ratio, and checks that every output is identical (SHA-256); a
# difference fails the script.
# Input: the shared libraries of the Debian cross toolchains (real code of
# each architecture).
#
#   scripts/bench-xz.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cache=${THINGSEC_BENCH_DIR:-/tmp/thingsec-bench}/xz
mkdir -p "$cache"
bin=$cache/codecbench
go build -o "$bin" ./scripts/codecbench

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
mbs() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / 1048576 / s }'; }
# timed CMD...: runs CMD (stdout kept), sets cpu and wall (seconds).
timed() {
	/usr/bin/time -f '%U %S %e' -o "$cache/time" "$@"
	read -r u s e < "$cache/time"
	cpu=$(awk -v u="$u" -v s="$s" 'BEGIN { print u + s }')
	wall=$e
}

tree=$cache/tree
if [ ! -f "$tree.done" ]; then
	rm -rf "$tree"
	for pair in x86:i686-linux-gnu armthumb:arm-linux-gnueabihf powerpc:powerpc-linux-gnu arm64:aarch64-linux-gnu; do
		arch=${pair%%:*} dir=/usr/${pair#*:}/lib
		[ -d "$dir" ] || { echo "missing $dir (install the cross toolchain)"; exit 1; }
		mkdir -p "$tree/$arch"
		find "$dir" -maxdepth 1 -type f -name 'lib*.so*' -exec cp {} "$tree/$arch/" \;
	done
	touch "$tree.done"
fi

fail=0
echo "== xz streams (single-threaded xz -dc vs thingsec's decoder)"
for spec in x86:--x86 armthumb:--armthumb powerpc:--powerpc arm64:--arm64 x86:none; do
	arch=${spec%%:*} filter=${spec#*:}
	raw=$cache/$arch.bin
	[ -f "$raw" ] || cat "$tree/$arch"/* > "$raw"
	comp=$cache/$arch.$filter.xz
	if [ ! -f "$comp" ]; then
		if [ "$filter" = none ]; then xz -c -T1 -6 "$raw" > "$comp"; else xz -c -T1 "$filter" --lzma2=preset=6 "$raw" > "$comp"; fi
	fi
	size=$(stat -c %s "$raw")
	timed xz -dc -T1 "$comp" > "$cache/out.xz"
	cx=$cpu wx=$wall
	timed "$bin" -xz "$comp" > "$cache/out.ts"
	ct=$cpu wt=$wall
	same=identical
	cmp -s "$cache/out.xz" "$cache/out.ts" || { same=DIFFERENT; fail=1; }
	printf '%-9s %-11s %4d MiB: xz -dc cpu %.2fs (%s MB/s) wall %.2fs, thingsec cpu %.2fs (%s MB/s) wall %.2fs; thingsec needs %sx the CPU; output %s\n' \
		"$arch" "$filter" $((size >> 20)) "$cx" "$(mbs "$size" "$cx")" "$wx" "$ct" "$(mbs "$size" "$ct")" "$wt" "$(ratio "$ct" "$cx")" "$same"
done

echo "== squashfs xz -Xbcj x86,armthumb of the x86 and ARM libraries (unsquashfs vs thingsec's extraction)"
for bs in 128K 1M; do
	img=$cache/bcj-$bs.sqfs # mksquashfs compresses every block once per filter and once without
	[ -f "$img" ] || mksquashfs "$tree/x86" "$tree/armthumb" "$img.tmp" -noappend -no-progress -quiet -all-root -b "$bs" -comp xz -Xbcj x86,armthumb >/dev/null
	[ -f "$img" ] || mv "$img.tmp" "$img"
	size=$(du -sbc "$tree/x86" "$tree/armthumb" | tail -1 | cut -f1)
	for procs in 1 default; do
		rm -rf "$cache/ref" "$cache/ours"
		popt=()
		[ "$procs" = 1 ] && popt=(-p 1)
		timed unsquashfs -q -no-progress "${popt[@]}" -d "$cache/ref" "$img" >/dev/null
		cu=$cpu wu=$wall
		timed "$bin" -squashfs "$img" -d "$cache/ours"
		ct=$cpu wt=$wall
		want=$(cd "$cache/ref" && find . -type f | sort | xargs -d '\n' sha256sum | sha256sum)
		got=$(cd "$cache/ours" && find . -type f | sort | xargs -d '\n' sha256sum | sha256sum)
		same=identical
		[ "$got" = "$want" ] || { same=DIFFERENT; fail=1; }
		printf 'block %-4s %4d MiB: unsquashfs (-p %s) cpu %.2fs (%s MB/s) wall %.2fs, thingsec cpu %.2fs (%s MB/s) wall %.2fs; thingsec needs %sx the CPU; files %s\n' \
			"$bs" $((size >> 20)) "$procs" "$cu" "$(mbs "$size" "$cu")" "$wu" "$ct" "$(mbs "$size" "$ct")" "$wt" "$(ratio "$ct" "$cu")" "$same"
	done
done
exit $fail
