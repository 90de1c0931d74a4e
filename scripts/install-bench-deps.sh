#!/usr/bin/env bash
# Installs what `npm run bench` needs on top of the stack's programs (install-system-deps.sh):
# wrk, the load generator, and taskset (util-linux), which pins the server and the load to
# different cores; with --perf also linux-perf, for `perf top`/`perf record` on the app.
# Idempotent and quiet when everything is there. As root (a fresh CI machine) missing packages
# are installed with apt-get; otherwise the script says what to install and fails.
set -euo pipefail

perf=false
for arg in "$@"; do
  case "$arg" in
    --perf) perf=true ;;
    *) echo "usage: $0 [--perf]" >&2; exit 2 ;;
  esac
done

have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ]; }

"$(dirname "$0")/install-system-deps.sh"

missing=()
have wrk || missing+=(wrk)
have taskset || missing+=(util-linux)
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
