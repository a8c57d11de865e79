#!/usr/bin/env bash
# Writes gitleaks' own rule examples (the true and false positives each
# rule of its default configuration is generated and checked with) as one
# file per example, plus that version's default configuration:
#
#   scripts/gitleaks-examples.sh OUT [VERSION]
#
#   OUT/gitleaks.toml      the default configuration of VERSION
#   OUT/tp/RULE-N          an example the rule must find
#   OUT/fp/RULE-N          an example it must not find
#   OUT/tp-path/RULE-N/P   the same for rules that read the path P
#   OUT/fp-path/RULE-N/P
#
# The gitleaks module (MIT) is fetched into the Go module cache, copied to
# a temporary directory, and its example validator is replaced by one that
# writes the examples; nothing of it enters this repository.
set -euo pipefail
OUT="${1:?usage: gitleaks-examples.sh OUT [VERSION]}"
VERSION="${2:-v8.30.1}"
TMP="$(mktemp -d)"
trap 'chmod -R u+w "$TMP"; rm -rf "$TMP"' EXIT
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
SRC="$(cd "$TMP" && GOFLAGS=-mod=mod go mod download -json "github.com/zricethezav/gitleaks/v8@$VERSION" |
       python3 -c 'import json,sys;print(json.load(sys.stdin)["Dir"])')"
cp -r "$SRC" "$TMP/gitleaks"
chmod -R u+w "$TMP/gitleaks"
cd "$TMP/gitleaks"
cp config/gitleaks.toml "$OUT/gitleaks.toml"
cat > cmd/generate/config/utils/validate.go <<'GO'
package utils

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/zricethezav/gitleaks/v8/config"
)

func write(kind, id string, n int, path, text string) {
	name := fmt.Sprintf("%s-%03d", id, n)
	if path != "" {
		// keep the example's own path (path rules read it) under a
		// directory of its own
		name = filepath.Join(name, filepath.Clean("/" + path)[1:])
	}
	file := filepath.Join(os.Getenv("EXAMPLES_OUT"), kind, name)
	os.MkdirAll(filepath.Dir(file), 0o755)
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		panic(err)
	}
}

func Validate(rule config.Rule, tps []string, fps []string) *config.Rule {
	for i, s := range tps {
		write("tp", rule.RuleID, i, "", s)
	}
	for i, s := range fps {
		write("fp", rule.RuleID, i, "", s)
	}
	return &rule
}

func ValidateWithPaths(rule config.Rule, tps map[string]string, fps map[string]string) *config.Rule {
	i := 0
	for p, s := range tps {
		write("tp-path", rule.RuleID, i, p, s)
		i++
	}
	for p, s := range fps {
		write("fp-path", rule.RuleID, i, p, s)
		i++
	}
	return &rule
}
GO
cd cmd/generate/config
EXAMPLES_OUT="$OUT" GOFLAGS=-mod=mod go run . "$TMP/regenerated.toml" >/dev/null
echo "$VERSION" > "$OUT/VERSION"
for k in tp fp tp-path fp-path; do
  [ -d "$OUT/$k" ] && echo "$k: $(ls "$OUT/$k" | wc -l)"
done
