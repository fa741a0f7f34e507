#!/usr/bin/env bash
# The smoke test of roster_import_bench: runs it on a small roster and passes when it exits 0
# (which it does only when its own checks hold) and prints the ratio line. Exit status 77, which
# the benchmark returns without MYSQL_HOST, is passed on for CTest to report the test as skipped.
#
#   bench/roster_import_smoke.sh BUILD/bench/roster_import_bench [benchmark flags...]
set -uo pipefail

binary="$1"
shift
output=$("$binary" "$@")
status=$?
printf '%s\n' "$output"
if [ "$status" -ne 0 ]; then
  echo "roster_import_bench exited with status $status" >&2
  exit "$status"
fi
if ! grep -Eq '^ratio end-to-end import / multi-row INSERT baseline: [0-9]+[.][0-9]+$' <<<"$output"; then
  echo "roster_import_bench printed no ratio line" >&2
  exit 1
fi
