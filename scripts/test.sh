#!/usr/bin/env bash
# The full test suite, from a fresh clone: installs pnpm and the locked dependencies, builds,
# type-checks, lints, makes sure PostgreSQL is up, runs the unit, integration and tutorial tests,
# runs every benchmark case once in quick mode (a smoke run), runs the tutorial itself, and ends
# with one line `N passed, N failed` built from the real counts.
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/ensure-pnpm.sh

results=.test-results
rm -rf "$results" && mkdir -p "$results"
stage_failures=0
failed_stages=()
stage() { # name, command...
  local name=$1; shift
  echo
  echo "==> $name"
  if ! "$@"; then
    echo "!! stage failed: $name" >&2
    stage_failures=$((stage_failures + 1))
    failed_stages+=("$name")
    return 1
  fi
}

if [ "${CI:-}" = "true" ]; then install_flags=(--frozen-lockfile); else install_flags=(--frozen-lockfile --prefer-offline); fi
stage "install" pnpm install "${install_flags[@]}" || { node scripts/count-results.mjs --extra-failed 1; exit 1; }
stage "build" pnpm build || { node scripts/count-results.mjs --extra-failed 1; exit 1; }
stage "typecheck" pnpm typecheck
stage "lint" pnpm lint
stage "package shape (publint, attw)" pnpm lint:package

if url=$(bash scripts/ensure-postgres.sh); then
  export DATABASE_URL="$url"
else
  echo "!! PostgreSQL is required for the integration tests" >&2
  stage_failures=$((stage_failures + 1)); failed_stages+=("postgres")
fi

stage "unit tests" pnpm exec vitest run --project '!*:integration' \
  --reporter=default --reporter=json --outputFile.json="$results/unit.json"
if [ -n "${DATABASE_URL:-}" ]; then
  # One file at a time: the read horizon is cluster-wide, so a test holding a transaction open
  # would stall every other suite's subscribers.
  stage "integration tests (PostgreSQL, PGlite)" pnpm exec vitest run --project '*:integration' --no-file-parallelism \
    --reporter=default --reporter=json --outputFile.json="$results/integration.json"
fi
if [ -n "${DATABASE_URL:-}" ]; then
  # A smoke run of every benchmark case (issue #5): nothing fails on a number, only a case that
  # crashes. The report goes to the results folder, never over the published bench/results.
  stage "benchmark smoke (pnpm bench --quick)" node bench/src/main.mjs --quick --out "$results/bench"
fi
stage "tutorial (in-memory)" pnpm --filter @es/tutorial start

reports=("$results/unit.json")
[ -n "${DATABASE_URL:-}" ] && reports+=("$results/integration.json")
echo
[ "$stage_failures" -gt 0 ] && echo "failed stages: ${failed_stages[*]}"
# Test failures are in the reports; a stage that failed without a report counts as one failure.
extra=0
for s in "${failed_stages[@]}"; do
  case "$s" in "unit tests"|"integration tests"*) ;; *) extra=$((extra + 1)) ;; esac
done
node scripts/count-results.mjs "${reports[@]}" --extra-failed "$extra"
