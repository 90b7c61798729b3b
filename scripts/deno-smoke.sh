#!/usr/bin/env bash
# Runs ioclens from source under Deno: --help, both --check-config runs, the runtime smoke and
# the RetroScan store smoke (node:sqlite).
set -euo pipefail
cd "$(dirname "$0")/.."
deno=node_modules/.bin/deno
run() { "$deno" run -A --quiet src/main.ts "$@"; }
run --help | grep -q "serve"
run serve --check-config test/fixtures/config/seed_service.conf
run scan --check-config test/fixtures/config/seed_log_scanner.conf
"$deno" run -A --quiet scripts/runtime_smoke.ts
"$deno" run -A --quiet scripts/retroscan_store_smoke.ts
echo "deno smoke: ok ($("$deno" --version | head -1))"
