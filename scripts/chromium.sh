#!/usr/bin/env bash
# Makes sure the browser tests have a Chromium, never by downloading a browser build:
# - CHROMIUM_PATH, when it names a browser, is used as it is (any OS);
# - else Debian's /usr/bin/chromium, installed with apt-get when missing (as root, or through
#   sudo when it needs no password: nothing here waits for a prompt);
# - else it stops and says what to do.
wanted="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$wanted" ]; then exit 0; fi
if [ -n "${CHROMIUM_PATH:-}" ]; then
  echo "> CHROMIUM_PATH=$CHROMIUM_PATH is not an executable browser: fix it, or unset it to use Debian's chromium" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "> the browser tests need Chromium: no apt-get here, so set CHROMIUM_PATH to a Chromium or" \
    "Chrome binary (on macOS: \"/Applications/Google Chrome.app/Contents/MacOS/Google Chrome\")" >&2
  exit 1
fi
if [ "$(id -u)" = 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  echo "> the browser tests need Debian's chromium: run 'sudo apt-get install chromium' once," \
    "or set CHROMIUM_PATH to a Chromium binary" >&2
  exit 1
fi
echo "> installing Debian's chromium with apt-get for the browser tests" >&2
"${as_root[@]}" apt-get update -qq >&2 && "${as_root[@]}" apt-get install -y -qq --no-install-recommends chromium >&2
