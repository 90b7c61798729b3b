#!/usr/bin/env bash
# Installs the Debian packages the system tests (test/system/*.system.ts) run against:
#   chromium           headless browser for the HTML report test
#   fonts-dejavu-core  so the screenshot has real glyphs on a bare machine
#   jq                 the independent JSON reader for the elastic SIEM profile test
#   liblognorm-utils   lognormalizer, the independent CEF and LEEF parser for the report and
#                      SIEM profile tests
#   openssl            makes the self-signed certificates of the HTTPS tests (npm test, deno smoke)
#   systemd            systemd-analyze, which verifies docs/ioclens.service (test/e2e)
# Idempotent: does nothing when all are present. Needs root (apt-get). Quiet unless it fails;
# exits non-zero when anything could not be installed.
set -euo pipefail

# package:file-it-provides, so a second run is a few stat calls and no apt-get at all.
WANTED=(
  "chromium:/usr/bin/chromium"
  "fonts-dejavu-core:/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
  "jq:/usr/bin/jq"
  "liblognorm-utils:/usr/bin/lognormalizer"
  "openssl:/usr/bin/openssl"
  "systemd:/usr/bin/systemd-analyze"
)

missing=()
for entry in "${WANTED[@]}"; do
  [ -e "${entry#*:}" ] || missing+=("${entry%%:*}")
done
[ "${#missing[@]}" = 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
  echo "install-system-deps: must run as root to install: ${missing[*]}" >&2
  exit 1
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
export DEBIAN_FRONTEND=noninteractive
if ! apt-get update -qq >"$log" 2>&1 ||
  ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >>"$log" 2>&1; then
  echo "install-system-deps: apt-get failed installing ${missing[*]}:" >&2
  tail -n 20 "$log" >&2
  exit 1
fi

for entry in "${WANTED[@]}"; do
  if [ ! -e "${entry#*:}" ]; then
    echo "install-system-deps: ${entry%%:*} installed but ${entry#*:} is missing" >&2
    exit 1
  fi
done
