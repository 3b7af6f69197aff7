#!/usr/bin/env bash
# Installs Debian's chromium for the browser tests when it is missing (never a browser download);
# nothing to do when CHROMIUM_PATH (as scripts/chromium.mjs reads it) names a browser already.
if [ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then exit 0; fi
echo "> installing Debian's chromium for the browser tests" >&2
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
$SUDO apt-get update -qq >&2 && $SUDO apt-get install -y -qq --no-install-recommends chromium >&2
