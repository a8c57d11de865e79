#!/usr/bin/env bash
# Benchmark: thingsec secrets --git vs gitleaks git on the same repository
# history (default: this checkout's repository, every ref). Prints the
# seconds and findings of each tool and the ratio.
#
#   scripts/bench-secrets-git.sh [REPO]
#
# gitleaks is installed with "go install" when absent.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
REPO="$(cd "${1:-$ROOT}" && pwd)"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

GL="$(command -v gitleaks || true)"
[ -z "$GL" ] && [ -x "$(go env GOPATH)/bin/gitleaks" ] && GL="$(go env GOPATH)/bin/gitleaks"
if [ -z "$GL" ]; then
  go install github.com/zricethezav/gitleaks/v8@latest
  GL="$(go env GOPATH)/bin/gitleaks"
fi

now() { date +%s.%N; }
cd "$ROOT"
CGO_ENABLED=0 go build -o "$TMP/thingsec" ./cmd/thingsec

echo "repository: $REPO ($(git -C "$REPO" rev-list --all | wc -l) commits, every ref)"
t0=$(now)
"$TMP/thingsec" secrets --git --quiet --format json -o "$TMP/ts.json" "$REPO" || [ $? -eq 1 ]
t1=$(now)
TS=$(echo "$t1 - $t0" | bc -l)
TSN=$(python3 -c "import json;print(len(json.load(open('$TMP/ts.json'))['findings']))")

t0=$(now)
# gitleaks reads the history with git log -p too; --log-opts=--all for every ref
"$GL" git --no-banner --exit-code 0 --redact --log-level error --log-opts=--all \
  --report-format json --report-path "$TMP/gl.json" "$REPO" >/dev/null 2>&1 ||
  "$GL" detect --no-banner --exit-code 0 --redact --log-level error --log-opts=--all \
    --report-format json --report-path "$TMP/gl.json" --source "$REPO" >/dev/null 2>&1
t1=$(now)
GLS=$(echo "$t1 - $t0" | bc -l)
GLN=$(python3 -c "import json;print(len(json.load(open('$TMP/gl.json'))))")

printf 'thingsec secrets --git: %6.1f s  (%s findings, one per secret, first commit)\n' "$TS" "$TSN"
printf 'gitleaks git:           %6.1f s  (%s findings, one per commit and secret)\n' "$GLS" "$GLN"
printf 'ratio (thingsec speed / gitleaks speed): %.2fx\n' "$(echo "$GLS / $TS" | bc -l)"
