#!/bin/bash
# Times "thingsec sbom" against "syft dir:" on the same tree, in the same
# run, and prints the ratio (goal: thingsec at most half of syft's time).
# thingsec runs with --no-unpack: "syft dir:" does not open the compressed
# files and archives of a tree either, so both read the same bytes.
# Usage: scripts/bench-sbom.sh [TREE]   (default: the debootstrap minbase
# tree of scripts/mkrootfs-debian.sh). Needs syft on PATH or in ~/go/bin
# (go install github.com/anchore/syft/cmd/syft@v1.57.0).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
tree=${1:-${THINGSEC_CACHE:-/tmp}/thingsec-debootstrap}
[ -d "$tree" ] || "$repo/scripts/mkrootfs-debian.sh" "$tree"
syft=$(command -v syft || echo "$HOME/go/bin/syft")
[ -x "$syft" ] || { echo "syft not found" >&2; exit 2; }
runs=${RUNS:-3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cd "$repo"
CGO_ENABLED=0 go build -o "$tmp/thingsec" ./cmd/thingsec
if "$tmp/thingsec" sbom --help >/dev/null 2>&1; then
	ts() { "$tmp/thingsec" sbom -q --no-unpack --format cyclonedx -o "$tmp/ts.json" "$tree"; }
else
	# the command is not registered in the binary yet: run it through the
	# cli package's test binary (same code, same process model)
	go test -c -o "$tmp/cli.test" ./internal/cli
	ts() { THINGSEC_SBOM_TARGET=$tree THINGSEC_SBOM_OUT=$tmp/ts.json THINGSEC_SBOM_NO_UNPACK=1 "$tmp/cli.test" -test.run '^TestSbomRun$' >/dev/null; }
fi
sy() { SYFT_CHECK_FOR_APP_UPDATE=false "$syft" -q "dir:$tree" -o cyclonedx-json > "$tmp/syft.json"; }

best() { # best wall time in seconds of $runs runs of function $1
	local b=
	for _ in $(seq "$runs"); do
		local s e
		s=$(date +%s.%N); "$1"; e=$(date +%s.%N)
		b=$(echo "$e $s ${b:-999999}" | awk '{d=$1-$2; print (d<$3)?d:$3}')
	done
	echo "$b"
}
ts; sy # warm the page cache for both
t1=$(best ts)
t2=$(best sy)
n1=$(grep -oE '"purl": ?"pkg:' "$tmp/ts.json" | wc -l)
n2=$(grep -oE '"purl": ?"pkg:' "$tmp/syft.json" | wc -l)
echo "tree: $tree ($(find "$tree" -type f | wc -l) files)"
printf 'thingsec sbom: %.2fs (%d purls)\n' "$t1" "$n1"
printf 'syft dir:      %.2fs (%d purls)\n' "$t2" "$n2"
echo "$t1 $t2" | awk '{printf "ratio thingsec/syft: %.2f (goal <= 0.50)\n", $1/$2}'
