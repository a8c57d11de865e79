#!/usr/bin/env bash
# Benchmark: thingsec secrets vs gitleaks on the same >= 500 MB tree of
# mixed source, text and binaries (generated in a temp dir from files on
# this machine: the Go source tree, /usr/share/doc, ELF binaries of
# /usr/bin and /usr/lib, plus planted secrets). Prints MB/s of each tool
# and the ratio.
#
#   scripts/bench-secrets.sh [DIR]      (DIR: reuse/generate the tree there)
#   SIZE_MB=512 WORKERS=2 scripts/bench-secrets.sh
#
# gitleaks is installed with "go install" when absent. thingsec is built
# from this checkout; until "secrets" is registered in cmd/thingsec the
# same command runs through its Go test harness (internal/cli,
# TestSecretsBenchDir), timed inside the process.
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

now() { date +%s.%N; }

# ---- thingsec
cd "$ROOT"
CGO_ENABLED=0 go build -o "$TMP/thingsec" ./cmd/thingsec
if "$TMP/thingsec" secrets --help >/dev/null 2>&1; then
  t0=$(now)
  "$TMP/thingsec" secrets --quiet --workers "$WORKERS" --format json -o "$TMP/ts.json" "$DIR" || [ $? -eq 1 ]
  t1=$(now)
  TS=$(echo "$t1 - $t0" | bc -l)
else
  go test -c -o "$TMP/cli.test" ./internal/cli
  TS=$(BENCH_DIR="$DIR" BENCH_OUT="$TMP/ts.json" BENCH_WORKERS="$WORKERS" "$TMP/cli.test" -test.run TestSecretsBenchDir -test.v 2>&1 |
       sed -n 's/.*bench-seconds=\([0-9.]*\).*/\1/p')
fi
TSN=$(python3 -c "import json;print(len(json.load(open('$TMP/ts.json'))['findings']))" 2>/dev/null || echo "?")

t0=$(now)
GOMAXPROCS="$WORKERS" "$GL" dir --no-banner --exit-code 0 --redact --log-level error --report-format json --report-path "$TMP/gl.json" "$DIR" >/dev/null 2>&1
t1=$(now)
GLS=$(echo "$t1 - $t0" | bc -l)
GLN=$(python3 -c "import json;print(len(json.load(open('$TMP/gl.json'))))" 2>/dev/null || echo "?")

printf 'thingsec secrets: %6.1f s  %7.1f MB/s  (%s findings)\n' "$TS" "$(echo "$MB / $TS" | bc -l)" "$TSN"
printf 'gitleaks dir:     %6.1f s  %7.1f MB/s  (%s findings)\n' "$GLS" "$(echo "$MB / $GLS" | bc -l)" "$GLN"
printf 'ratio (thingsec speed / gitleaks speed): %.2fx\n' "$(echo "$GLS / $TS" | bc -l)"
