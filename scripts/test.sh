#!/usr/bin/env bash
# The one test command (`npm test`). On a fresh Debian-like machine with Node installed it
# installs what the tests need (npm packages; postgresql, redis-server, nginx, chromium when root),
# then runs lint, typecheck, unit, in-process (the app in the test process on throwaway Postgres
# and Redis), e2e (through nginx over TLS) and browser tests. Every e2e/browser spec starts and
# removes its own stack.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "Node"
# Node 24, the image's, first on PATH for the whole run: this machine's own when it is 24 or
# newer, else one fetched from the npm registry into .cache/node (scripts/node24.sh).
source scripts/node24.sh
echo "node $(node -v), npm $(npm -v)"

step "system packages"
bash scripts/install-system-deps.sh --browser

step "npm ci"
# npm releases differ in what they accept in a lockfile; when this one refuses it, say what to do
# in one line instead of leaving the reader with arborist's "Invalid Version:".
if ! npm ci --no-audit --no-fund; then
  echo "npm ci failed: the lockfile does not match this npm ($(npm --version)): run \`npm install\` and commit package-lock.json" >&2
  exit 1
fi

step "lint"
npm run --silent lint

step "typecheck"
npm run --silent typecheck

rm -rf test-output/results
mkdir -p test-output/results
jest() { # project
  node --experimental-vm-modules node_modules/jest/bin/jest.js --selectProjects "$1" --runInBand \
    --json --outputFile="test-output/results/$1.json"
}

step "unit tests"
jest unit

step "in-process tests (the app in the test process, on throwaway Postgres and Redis)"
jest integration

step "build"
npm run --silent build

step "e2e tests (through nginx over TLS)"
jest e2e

step "browser tests (headless Chromium through nginx)"
jest browser

# One closing line over every project, in the plain form CI reads.
node -e '
  const fs = require("node:fs");
  let passed = 0, failed = 0;
  for (const f of fs.readdirSync("test-output/results")) {
    const r = JSON.parse(fs.readFileSync("test-output/results/" + f, "utf8"));
    passed += r.numPassedTests; failed += r.numFailedTests;
  }
  console.log(`\nAll projects ran on Node ${process.version}.`);
  console.log(`Tests: ${passed} passed, ${failed} failed`);
'
