#!/usr/bin/env bash
# Runs a command on Node 24, the Node the image runs (README, The two commands):
#
#   bash scripts/node24.sh COMMAND [ARG...]   runs COMMAND with Node 24 first on PATH
#   source scripts/node24.sh                  the same, for the rest of a bash script
#
# A `node` of major 24 or newer on PATH is used as it is, silently. An older one (or none that
# runs) is replaced for this run by NODE24_VERSION from the npm registry: the node-<os>-<arch>
# package, whose integrity npm checks, unpacked once into .cache/node/ (git ignores it). The
# switch prints one line. Native addons then build against that Node's own headers (nodedir),
# not the ones an older system Node may have set npm up with.

NODE24_VERSION=24.22.3
NODE24_MAJOR=${NODE24_VERSION%%.*}

node24_fail() {
  echo "scripts/node24.sh: $*" >&2
  return 1
}

node24_use() {
  local root current os arch dir tmp
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  current=$(node -p 'process.versions.node' 2>/dev/null) || current=
  if [ -n "$current" ] && [ "${current%%.*}" -ge "$NODE24_MAJOR" ]; then
    return 0
  fi

  case "$(uname -s)" in
    Linux) os=linux ;;
    Darwin) os=darwin ;;
    *) node24_fail "no Node $NODE24_MAJOR package for $(uname -s): install Node $NODE24_MAJOR and run again"; return 1 ;;
  esac
  case "$(uname -m)" in
    x86_64 | amd64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) node24_fail "no Node $NODE24_MAJOR package for $(uname -m): install Node $NODE24_MAJOR and run again"; return 1 ;;
  esac

  dir=$root/.cache/node/v$NODE24_VERSION-$os-$arch
  if [ ! -x "$dir/bin/node" ]; then
    command -v npm >/dev/null 2>&1 || { node24_fail "needs npm to fetch Node $NODE24_VERSION, or Node $NODE24_MAJOR installed"; return 1; }
    mkdir -p "$root/.cache/node"
    tmp=$(mktemp -d "$root/.cache/node/.fetch.XXXXXX")
    # npm pack downloads the published tarball and checks it against the registry's integrity.
    if ! (cd "$tmp" && npm pack --silent "node-$os-$arch@$NODE24_VERSION" >/dev/null) ||
      ! mkdir "$tmp/node" || ! tar -xzf "$tmp/node-$os-$arch-$NODE24_VERSION.tgz" -C "$tmp/node" --strip-components=1 ||
      ! "$tmp/node/bin/node" -e '' 2>/dev/null; then
      rm -rf "$tmp"
      node24_fail "could not fetch node-$os-$arch@$NODE24_VERSION from the npm registry: install Node $NODE24_MAJOR and run again"
      return 1
    fi
    # Another run may have unpacked it meanwhile: keep the first, the two are the same bytes.
    [ -e "$dir" ] || mv "$tmp/node" "$dir"
    rm -rf "$tmp"
  fi

  export PATH="$dir/bin:$PATH"
  export npm_config_nodedir="$dir"
  echo "Node $(node -v) from .cache/node: this machine's node is ${current:+v}${current:-missing}, and Gatehouse runs on Node $NODE24_MAJOR (README)"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  [ $# -gt 0 ] || { echo "usage: bash scripts/node24.sh COMMAND [ARG...]" >&2; exit 2; }
  node24_use
  exec "$@"
else
  node24_use
fi
