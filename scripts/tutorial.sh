#!/usr/bin/env bash
# Runs the tutorial demo from a fresh clone: installs pnpm and the locked dependencies, builds, runs.
# Extra arguments go to the tutorial, e.g. `npm start -- --backend pglite`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/ensure-pnpm.sh
pnpm install --frozen-lockfile --prefer-offline >/dev/null
pnpm build >/dev/null
exec pnpm --silent --filter @es/tutorial start "$@"
