#!/usr/bin/env bash
# The whole test suite, as `npm test` runs it: set-up, generated-code check,
# typecheck, lint, the consumer check (scripts/consumer-check.sh), unit tests, then integration tests (real containers; need root).
# Ends with one plain line: "N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm run gen:check --silent
npm run typecheck --silent
npm run lint --silent
bash scripts/consumer-check.sh   # the packages packed and installed into an app outside the repository
npm run docs --silent            # the API reference (TypeDoc): warnings fail
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
status=0
npx vitest run --project unit --reporter=default --reporter=json --outputFile.json="$results/unit.json" || status=$?
if [ "$(id -u)" = 0 ]; then
  npx vitest run --project integration --reporter=default --reporter=json \
    --outputFile.json="$results/integration.json" || status=$?
else
  echo "test: not root: integration tests (real containers) skipped; run as root to include them" >&2
fi
node -e '
  const fs = require("fs"); let p = 0, f = 0, s = 0;
  for (const file of fs.readdirSync(process.argv[1])) {
    const r = JSON.parse(fs.readFileSync(process.argv[1] + "/" + file, "utf8"));
    p += r.numPassedTests; f += r.numFailedTests; s += r.numPendingTests + (r.numTodoTests || 0);
  }
  console.log(`${p} passed, ${f} failed, ${s} skipped`);' "$results"
exit "$status"
