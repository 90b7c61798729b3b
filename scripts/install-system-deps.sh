#!/usr/bin/env bash
# Installs the Debian packages the system tests (test/system/, test/compat/*.system.ts) run against:
#   chromium           headless browser for the HTML report test
#   fonts-dejavu-core  so the screenshot has real glyphs on a bare machine
#   jq                 the independent JSON reader for the elastic SIEM profile test
#   liblognorm-utils   lognormalizer, the independent CEF and LEEF parser for the report and
#                      SIEM profile tests
#   openssl            makes the self-signed certificates of the HTTPS tests (npm test, deno smoke)
#   systemd            systemd-analyze, which verifies docs/ioclens.service (test/e2e)
#   rsyslog            rsyslogd, a real forwarder for test/compat (omfwd over TCP)
#   syslog-ng-core     syslog-ng, a real forwarder for test/compat (network() destination)
#   haproxy            the load balancer of test/system/haproxy_replicas.system.ts (docs/scale-out.md)
# rsyslog and syslog-ng-core conflict in Debian (both provide system-log-daemon), and installing
# either would replace the machine's own log daemon; haproxy's package would start a system
# haproxy service; so all three are unpacked from their .deb files
# into $FORWARDERS_DIR/<package>/ (run from there, never as the system logger), and only their
# library dependencies are installed with apt-get.
# Idempotent: does nothing when all are present. Needs root (apt-get). Quiet unless it fails;
# exits non-zero when anything could not be installed.
set -euo pipefail

FORWARDERS_DIR=/opt/ioclens-system-tests

# package:file-it-provides, so a second run is a few stat calls and no apt-get at all.
WANTED=(
  "chromium:/usr/bin/chromium"
  "fonts-dejavu-core:/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
  "jq:/usr/bin/jq"
  "liblognorm-utils:/usr/bin/lognormalizer"
  "openssl:/usr/bin/openssl"
  "systemd:/usr/bin/systemd-analyze"
)
# package:file-it-provides under $FORWARDERS_DIR/<package>/ (unpacked, not installed).
UNPACKED=(
  "rsyslog:usr/sbin/rsyslogd"
  "syslog-ng-core:usr/sbin/syslog-ng"
  "haproxy:usr/sbin/haproxy"
)

missing=()
for entry in "${WANTED[@]}"; do
  [ -e "${entry#*:}" ] || missing+=("${entry%%:*}")
done
unpack=()
for entry in "${UNPACKED[@]}"; do
  [ -e "$FORWARDERS_DIR/${entry%%:*}/${entry#*:}" ] || unpack+=("${entry%%:*}")
done
[ "${#missing[@]}" = 0 ] && [ "${#unpack[@]}" = 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
  echo "install-system-deps: must run as root to install: ${missing[*]} ${unpack[*]}" >&2
  exit 1
fi

work=$(mktemp -d)
log="$work/apt.log"
trap 'rm -rf "$work"' EXIT
fail() {
  echo "install-system-deps: $1:" >&2
  tail -n 20 "$log" >&2
  exit 1
}
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >"$log" 2>&1 || fail "apt-get update failed"

if [ "${#unpack[@]}" != 0 ]; then
  # apt's download sandbox user must be able to write here.
  chmod 755 "$work"
  (cd "$work" && apt-get download -qq "${unpack[@]}") >>"$log" 2>&1 || fail "apt-get download failed for ${unpack[*]}"
  for pkg in "${unpack[@]}"; do
    deb=$(ls "$work/${pkg}"_*.deb)
    # Depends: "a (>= 1), b | c" -> "a b": the first alternative of each, versions dropped.
    depends=$(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed -e 's/|.*//' -e 's/(.*)//' -e 's/ //g' | grep -v '^$')
    # shellcheck disable=SC2086 # one package name per word
    missing+=($depends)
    rm -rf "${FORWARDERS_DIR:?}/$pkg"
    mkdir -p "$FORWARDERS_DIR/$pkg"
    dpkg-deb -x "$deb" "$FORWARDERS_DIR/$pkg" >>"$log" 2>&1 || fail "unpacking $deb failed"
  done
fi

if [ "${#missing[@]}" != 0 ]; then
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >>"$log" 2>&1 || fail "apt-get failed installing ${missing[*]}"
fi

for entry in "${WANTED[@]}"; do
  if [ ! -e "${entry#*:}" ]; then
    echo "install-system-deps: ${entry%%:*} installed but ${entry#*:} is missing" >&2
    exit 1
  fi
done
for entry in "${UNPACKED[@]}"; do
  if [ ! -e "$FORWARDERS_DIR/${entry%%:*}/${entry#*:}" ]; then
    echo "install-system-deps: ${entry%%:*} unpacked but $FORWARDERS_DIR/${entry%%:*}/${entry#*:} is missing" >&2
    exit 1
  fi
done
