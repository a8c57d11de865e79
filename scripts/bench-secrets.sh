#!/usr/bin/env bash
# Benchmark: thingsec secrets vs gitleaks on the same >= 500 MB tree of
# mixed source, text and binaries (generated in a temp dir from files on
# this machine: the Go source tree, /usr/share/doc, ELF binaries of
# /usr/bin and /usr/lib, plus planted secrets). Prints MB/s of each tool
# and the ratio.
#
#   scripts/bench-secrets.sh [DIR]      (DIR: reuse/generate the tree there)
#   SIZE_MB=512 WORKERS=2 RUNS=3 TS_BIN=path/to/thingsec scripts/bench-secrets.sh
#
# gitleaks is installed with "go install" when absent. thingsec is built
# from this checkout (or TS_BIN).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SIZE_MB="${SIZE_MB:-512}"
WORKERS="${WORKERS:-$(nproc)}"
DIR="${1:-}"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"; [ -n "${CLEAN_DIR:-}" ] && rm -rf "$CLEAN_DIR"' EXIT
if [ -z "$DIR" ]; then DIR="$TMP/tree"; CLEAN_DIR="$DIR"; fi
mkdir -p "$DIR"

size_mb() { echo $(( $(du -sb "$1" | cut -f1) / 1048576 )); }

# ---- the tree
if [ "$(size_mb "$DIR")" -lt "$SIZE_MB" ]; then
  i=0
  while [ "$(size_mb "$DIR")" -lt "$SIZE_MB" ]; do
    i=$((i + 1))
    case $((i % 3)) in
      1) [ -d /usr/local/go/src ] && cp -r /usr/local/go/src "$DIR/gosrc$i" ;;
      2) [ -d /usr/share/doc ] && cp -rL /usr/share/doc "$DIR/doc$i" 2>/dev/null || true ;;
      0) mkdir -p "$DIR/bin$i"   # about a third of the tree: ELF binaries
         find /usr/bin /usr/lib -maxdepth 2 -type f -size +100k -size -20M 2>/dev/null | sort |
           while read -r f; do
             cp "$f" "$DIR/bin$i/" 2>/dev/null || true
             [ "$(size_mb "$DIR/bin$i")" -ge $((SIZE_MB / 3)) ] && break
           done ;;
    esac
    [ $i -gt 30 ] && break
  done
  mkdir -p "$DIR/planted"
  cat > "$DIR/planted/app.conf" <<'P'
aws_access_key_id = AKIAJPJOMKEFOIUC5LGT
aws_secret_access_key = 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
slack_bot_token=xoxb-281634196559-1587793086914-MRlFxQ6voXpYmgt2G9nFPVK1
P
  printf 'local STRIPE_SECRET_KEY = "sk_live_vDlx2LQpclqbacxYTlgRW0gD"\n' > "$DIR/planted/billing.lua"
fi
MB=$(size_mb "$DIR")
FILES=$(find "$DIR" -type f | wc -l)
echo "tree: $DIR, $MB MB, $FILES files, workers $WORKERS"

# ---- gitleaks
GL="$(command -v gitleaks || true)"
[ -z "$GL" ] && [ -x "$(go env GOPATH)/bin/gitleaks" ] && GL="$(go env GOPATH)/bin/gitleaks"
if [ -z "$GL" ]; then
  go install github.com/zricethezav/gitleaks/v8@latest
  GL="$(go env GOPATH)/bin/gitleaks"
fi

# Each tool runs RUNS times, alternately (paired runs on a shared machine);
# the medians are printed. Wall time is what a user waits; CPU time
# (user+sys, from /usr/bin/time when present) is what load on a shared
# machine disturbs least, so both ratios are given.
RUNS="${RUNS:-1}"
median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
timed() { # timed OUT CMD...: appends "wall cpu" of CMD to OUT
  local out="$1"; shift
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f "%e %U %S" -o "$TMP/t" "$@" >/dev/null 2>&1 || true
    awk '{print $1, $2 + $3}' "$TMP/t" >> "$out"
  else
    local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; t1=$(date +%s.%N)
    echo "$(echo "$t1 - $t0" | bc -l) 0" >> "$out"
  fi
}

# ---- thingsec (TS_BIN: a thingsec binary to measure instead of this checkout)
cd "$ROOT"
if [ -n "${TS_BIN:-}" ]; then cp "$TS_BIN" "$TMP/thingsec"; else CGO_ENABLED=0 go build -o "$TMP/thingsec" ./cmd/thingsec; fi
for i in $(seq "$RUNS"); do
  timed "$TMP/ts.times" "$TMP/thingsec" secrets --quiet --workers "$WORKERS" --format json -o "$TMP/ts.json" "$DIR"
  timed "$TMP/gl.times" env GOMAXPROCS="$WORKERS" "$GL" dir --no-banner --exit-code 0 --redact --log-level error --report-format json --report-path "$TMP/gl.json" "$DIR"
done
TSN=$(python3 -c "import json;print(len(json.load(open('$TMP/ts.json'))['findings']))" 2>/dev/null || echo "?")
GLN=$(python3 -c "import json;print(len(json.load(open('$TMP/gl.json'))))" 2>/dev/null || echo "?")
TS=$(cut -d' ' -f1 "$TMP/ts.times" | median); TSC=$(cut -d' ' -f2 "$TMP/ts.times" | median)
GLS=$(cut -d' ' -f1 "$TMP/gl.times" | median); GLC=$(cut -d' ' -f2 "$TMP/gl.times" | median)

echo "runs: $RUNS each, alternating; medians; load average now: $(cut -d' ' -f1-3 /proc/loadavg)"
printf 'thingsec secrets: %6.1f s  %7.1f MB/s  cpu %6.1f s  (%s findings)\n' "$TS" "$(echo "$MB / $TS" | bc -l)" "$TSC" "$TSN"
printf 'gitleaks dir:     %6.1f s  %7.1f MB/s  cpu %6.1f s  (%s findings)\n' "$GLS" "$(echo "$MB / $GLS" | bc -l)" "$GLC" "$GLN"
printf 'ratio (thingsec speed / gitleaks speed): %.2fx\n' "$(echo "$GLS / $TS" | bc -l)"
if [ "$(echo "$TSC > 0" | bc -l)" = 1 ]; then
  printf 'cpu ratio (gitleaks cpu / thingsec cpu): %.2fx\n' "$(echo "$GLC / $TSC" | bc -l)"
fi
