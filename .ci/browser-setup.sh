#!/usr/bin/env bash
# Install Debian's chromium for the gateway's browser test (tests/gateway/test_browser.py drives it with
# playwright's executable_path; playwright never downloads a browser). Idempotent: ~1 s when installed.
set -euo pipefail

say() { printf '[browser-setup %(%T)T] %s\n' -1 "$*" >&2; }

if [ -x /usr/bin/chromium ]; then
    say "chromium already installed"
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    say "must run as root to install chromium"
    exit 1
fi
say "installing chromium"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null || say "apt-get update failed; trying the package lists already on the machine"
apt-get install -y -q --no-install-recommends chromium >/dev/null
/usr/bin/chromium --version >&2
