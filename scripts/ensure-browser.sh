#!/usr/bin/env bash
# Chromium from Debian's packages for the web UI's end-to-end tests (Playwright drives it; it
# cannot download its own browsers here).
set -euo pipefail
[ -x /usr/bin/chromium ] && exit 0
[ "$(id -u)" = 0 ] || { echo "ensure-browser: /usr/bin/chromium is missing and we are not root" >&2; exit 1; }
echo "ensure-browser: installing chromium" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq chromium >/dev/null
