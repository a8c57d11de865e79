#!/bin/bash
# xz with branch filters, thingsec against the reference tools on the same
# input: decoding xz streams (xz -dc) and extracting squashfs-xz images
# built with -Xbcj (unsquashfs). Prints wall times and ratios, and checks
# that every output is identical (SHA-256); a difference fails the script.
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

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { print b - a }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
mbs() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / 1048576 / s }'; }

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
	t0=$(now); want=$(xz -dc -T1 "$comp" | sha256sum); tx=$(since "$t0")
	t0=$(now); got=$("$bin" -xz "$comp" | sha256sum); tt=$(since "$t0")
	same=identical
	[ "$got" = "$want" ] || { same=DIFFERENT; fail=1; }
	printf '%-9s %-11s %4d MiB: xz -dc %.2fs (%s MB/s), thingsec %.2fs (%s MB/s); thingsec takes %sx the time; output %s\n' \
		"$arch" "$filter" $((size >> 20)) "$tx" "$(mbs "$size" "$tx")" "$tt" "$(mbs "$size" "$tt")" "$(ratio "$tt" "$tx")" "$same"
done

echo "== squashfs xz -Xbcj x86,arm,armthumb,powerpc (unsquashfs vs thingsec's extraction)"
for bs in 128K 1M; do
	img=$cache/bcj-$bs.sqfs # (takes minutes: mksquashfs tries every filter on every block)
	[ -f "$img" ] || mksquashfs "$tree" "$img" -noappend -no-progress -quiet -all-root -b "$bs" -comp xz -Xbcj x86,arm,armthumb,powerpc >/dev/null
	size=$(du -sb "$tree" | cut -f1)
	for procs in 1 default; do
		rm -rf "$cache/ref" "$cache/ours"
		popt=()
		[ "$procs" = 1 ] && popt=(-p 1)
		t0=$(now); unsquashfs -q -no-progress "${popt[@]}" -d "$cache/ref" "$img" >/dev/null; tu=$(since "$t0")
		t0=$(now); "$bin" -squashfs "$img" -d "$cache/ours"; tt=$(since "$t0")
		want=$(cd "$cache/ref" && find . -type f | sort | xargs -d '\n' sha256sum | sha256sum)
		got=$(cd "$cache/ours" && find . -type f | sort | xargs -d '\n' sha256sum | sha256sum)
		same=identical
		[ "$got" = "$want" ] || { same=DIFFERENT; fail=1; }
		printf 'block %-4s %4d MiB: unsquashfs (-p %s) %.2fs (%s MB/s), thingsec %.2fs (%s MB/s); thingsec takes %sx the time; files %s\n' \
			"$bs" $((size >> 20)) "$procs" "$tu" "$(mbs "$size" "$tu")" "$tt" "$(mbs "$size" "$tt")" "$(ratio "$tt" "$tu")" "$same"
	done
done
exit $fail
