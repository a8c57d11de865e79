#!/bin/sh
# Measures the vulnerability database: NVD import rate (50,000 synthetic
# records) and matching 1,000 components against 300,000 synthetic records.
# The generated feeds and the 300k database are kept in $THINGSEC_BENCH_DIR
# (default $TMPDIR/thingsec-vuln-bench); the first run builds them (minutes).
set -eu
cd "$(dirname "$0")/.."
go test -run '^$' -bench 'BenchmarkImportNVD|BenchmarkMatch300k' -benchtime 3x -timeout 60m ./internal/vuln/match
