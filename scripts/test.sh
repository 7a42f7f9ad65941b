#!/usr/bin/env bash
# The whole test suite, as `npm test` runs it: set-up, generated-code check,
# typecheck, unit tests, then integration tests (real containers; need root).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm run gen:check --silent
npm run typecheck --silent
npx vitest run --project unit
if [ "$(id -u)" = 0 ]; then
  npx vitest run --project integration
else
  echo "test: not root: integration tests (real containers) skipped; run as root to include them" >&2
fi
