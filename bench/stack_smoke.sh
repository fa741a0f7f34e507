#!/usr/bin/env bash
# The smoke test of bench/run: runs it with --smoke (2,000 graduates, a 200-record review queue,
# a few requests per line) on the binaries of BUILD_DIR. It passes when bench/run exits 0, which
# stack_report.py allows only when no value of the table is missing, and when the table has every
# operation and baseline. It does not judge the speed. Exit status 77 (skipped) when mariadbd is
# not installed.
#
#   bench/stack_smoke.sh BUILD_DIR
set -uo pipefail

build_dir="$1"
root="$(cd "$(dirname "$0")/.." && pwd)"
if ! command -v mariadbd >/dev/null; then
  echo "skipped: mariadbd is not installed"
  exit 77
fi
output=$(QX_BUILD_DIR="$build_dir" "$root/bench/run" --smoke --no-build)
status=$?
printf '%s\n' "$output"
if [ "$status" -ne 0 ]; then
  echo "bench/run --smoke exited with status $status" >&2
  exit 1
fi
missing=0
for label in "E_grpc: bare gRPC echo" "E_gw: echo through the gateway" "S_list: page 1 SQL" "S_list: last page SQL" \
    "S_pk: graduate by id" "S_txn: approve SQL" "A_agg: statistics GROUP BY" "L_ins: roster multi-row INSERT" \
    "(a) review queue, page 1" "(a) review queue, last page" "(a) depth" "(b) approve + audit + outbox" \
    "(b) InnoDB fsyncs per approval" "(b) sync outbox rows per approval" "(b) signing audit rows per approval" "(c) roster import end to end" \
    "(d) statistics at 500 graduates" "(d) statistics at 2000 graduates" "(e) login"; do
  if ! grep -qF "| $label" <<<"$output"; then
    echo "the table has no line '$label'" >&2
    missing=1
  fi
done
for process in accounts sync signing warning ems-simulator gateway echo-server mariadb; do
  if ! grep -Eq "^\| $process \| [0-9]+ \| [0-9]+ \|$" <<<"$output"; then
    echo "the memory table has no values for $process" >&2
    missing=1
  fi
done
exit "$missing"
