#!/usr/bin/env bash
# Install the Go toolchain and the Debian Go packages the tests' real loader stand-in is built from
# (tests/grpc/gohost: a hashicorp go-plugin host on grpc-go, as AIservice is). Idempotent: ~1 s when
# everything is there. GOPATH-mode builds need no module proxy, so nothing is fetched at build time.
set -euo pipefail

# nghttp2-client: nghttp and h2load, one more independent HTTP/2 peer (tests/grpc/test_h2_nghttp.py)
PACKAGES=(golang-go golang-google-grpc-dev golang-github-hashicorp-go-plugin-dev golang-google-protobuf-dev
          nghttp2-client)

say() { printf '[go-setup %(%T)T] %s\n' -1 "$*" >&2; }

missing=()
for package in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
    say "Go packages already installed"
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    say "must run as root to install: ${missing[*]}"
    exit 1
fi
say "installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null || say "apt-get update failed; trying the package lists already on the machine"
apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
go version >&2
