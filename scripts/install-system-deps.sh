#!/usr/bin/env bash
# Installs the system programs the stack harness (tools/stack/stack.ts) starts: PostgreSQL,
# Redis, nginx and openssl; plus Chromium for the browser tests with --browser, and wrk and
# taskset (util-linux) for `npm run bench` with --bench (and linux-perf with --perf).
# Idempotent and quiet when everything is there. Missing packages are installed with apt-get
# when running as root (a fresh CI machine); otherwise the script says what to install and
# fails. Only the binaries are used: the harness runs private, throwaway instances on its own
# ports, never the services these packages may set up.
set -euo pipefail

browser=false bench=false perf=false
for arg in "$@"; do
  case "$arg" in
    --browser) browser=true ;;
    --bench) bench=true ;;
    --perf) perf=true ;;
    *) echo "usage: $0 [--browser] [--bench] [--perf]" >&2; exit 2 ;;
  esac
done

have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ]; }

# Debian keeps the server binaries off PATH, under /usr/lib/postgresql/<version>/bin.
have_postgres() {
  local bin
  for bin in /usr/lib/postgresql/*/bin; do
    [ -x "$bin/initdb" ] && [ -x "$bin/postgres" ] && return 0
  done
  have pg_config && [ -x "$(pg_config --bindir)/initdb" ]
}

missing=()
have_postgres || missing+=(postgresql)
have redis-server || missing+=(redis-server)
have nginx || missing+=(nginx-light)   # the light build has every module the template uses
have openssl || missing+=(openssl)
if $browser && [ ! -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then
  missing+=(chromium)
fi
if $bench; then
  have wrk || missing+=(wrk)
  have taskset || missing+=(util-linux)
fi
if $perf && ! have perf; then
  missing+=(linux-perf)
fi

[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "Missing system packages: ${missing[*]}" >&2
  echo "Install them (Debian/Ubuntu): sudo apt-get install --no-install-recommends ${missing[*]}" >&2
  exit 1
fi

echo "Installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
