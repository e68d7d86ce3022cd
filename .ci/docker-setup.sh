#!/usr/bin/env bash
# Make a Docker engine and the stand-in base image available for tests/docker (idempotent).
#
# Why: no container registry is reachable, so the base image is bootstrapped locally (Debian bullseye,
# CPython 3.9 like the official aiges images) and imported. The bootstrapped rootfs is cached as a
# tarball (~30 s saved); the host's extra CA certificates (TLS interception, per machine) are added as
# a thin layer on top so `pip install` inside builds works, and are never written into the cache.
#
# Every step is skipped when its result already exists: a second run takes ~1 s.
# Environment (all optional):
#   AIGES_TEST_BASE_IMAGE  tag of the stand-in base            (default aiges-test/base:py39)
#   AIGES_TEST_CACHE       where the rootfs tarball is cached  (default /var/cache/aiges-test)
#   AIGES_TEST_SUITE       Debian suite of the base            (default bullseye = Python 3.9)
#   AIGES_DOCKER_ROOT      dockerd --data-root                 (default /var/lib/docker)
#   AIGES_DOCKER_LOG       dockerd log file                    (default /var/log/aiges-dockerd.log)
set -euo pipefail

BASE_IMAGE=${AIGES_TEST_BASE_IMAGE:-aiges-test/base:py39}
RAW_IMAGE=${BASE_IMAGE%:*}-raw:${BASE_IMAGE##*:}
CACHE_DIR=${AIGES_TEST_CACHE:-/var/cache/aiges-test}
SUITE=${AIGES_TEST_SUITE:-bullseye}
DATA_ROOT=${AIGES_DOCKER_ROOT:-/var/lib/docker}
DOCKERD_LOG=${AIGES_DOCKER_LOG:-/var/log/aiges-dockerd.log}
PACKAGES=python3,python3-pip,ca-certificates
RECIPE_VERSION=1 # bump when the mmdebstrap hooks below change: it invalidates the cached tarball

say() { printf '[docker-setup %(%T)T] %s\n' -1 "$*" >&2; }

need_root() {
    if [ "$(id -u)" != 0 ]; then
        say "must run as root (installs packages, starts dockerd, bootstraps a rootfs)"
        exit 1
    fi
}

install_packages() {
    local missing=()
    command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
    command -v mmdebstrap >/dev/null 2>&1 || missing+=(mmdebstrap)
    [ ${#missing[@]} -eq 0 ] && return 0
    need_root
    say "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

start_engine() {
    if docker info >/dev/null 2>&1; then
        say "engine already running"
        return 0
    fi
    need_root
    mkdir -p "$DATA_ROOT" "$(dirname "$DOCKERD_LOG")"
    say "starting dockerd (data-root $DATA_ROOT, log $DOCKERD_LOG)"
    # no systemd here: detach from this shell so the engine outlives the script
    setsid nohup dockerd --data-root "$DATA_ROOT" --pidfile /var/run/docker.pid >>"$DOCKERD_LOG" 2>&1 </dev/null &
    local waited=0
    until docker info >/dev/null 2>&1; do
        if [ "$waited" -ge 60 ]; then
            say "dockerd did not answer within 30 s; last log lines:"
            tail -n 20 "$DOCKERD_LOG" >&2
            exit 1
        fi
        sleep 0.5
        waited=$((waited + 1))
    done
    say "engine ready: $(docker version --format 'server {{.Server.Version}}, API {{.Server.APIVersion}}')"
}

debian_mirror() {
    # the host's own Debian mirror (deb822 or one-line format); mmdebstrap's default otherwise
    local uri
    uri=$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\/debian\)\/\{0,1\}$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1)
    if [ -z "$uri" ]; then
        uri=$(sed -n 's/^deb[[:space:]]\+\([^[:space:]]*\/debian\)\/\{0,1\}[[:space:]].*/\1/p' /etc/apt/sources.list 2>/dev/null | head -n 1)
    fi
    printf '%s' "$uri"
}

rootfs_tarball() {
    # prints the cached tarball's path, bootstrapping it first when missing or older than 7 days
    local key tarball mirror
    key=$(printf '%s|%s|%s' "$SUITE" "$PACKAGES" "$RECIPE_VERSION" | sha256sum | cut -c1-12)
    tarball="$CACHE_DIR/rootfs-$SUITE-$key.tar"
    if [ -s "$tarball" ] && [ -z "$(find "$tarball" -mtime +7)" ]; then
        say "using cached rootfs $tarball"
        printf '%s' "$tarball"
        return 0
    fi
    need_root
    mkdir -p "$CACHE_DIR"
    mirror=$(debian_mirror)
    say "bootstrapping Debian $SUITE ($PACKAGES) into $tarball (~30 s)"
    local partial="$CACHE_DIR/.partial-$$.tar"
    local args=(--mode=root --format=tar --variant=minbase --include="$PACKAGES" --quiet
        --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*'
        --dpkgopt='path-exclude=/usr/share/locale/*'
        # like the official images: `python` and `pip` exist, and system-wide pip installs are allowed
        --customize-hook='ln -sf python3 "$1/usr/bin/python"'
        --customize-hook='ln -sf pip3 "$1/usr/bin/pip"'
        --customize-hook='rm -f "$1"/usr/lib/python3*/EXTERNALLY-MANAGED'
        "$SUITE" "$partial")
    if [ -n "$mirror" ]; then
        args+=("$mirror")
    fi
    mmdebstrap "${args[@]}" >&2 || { rm -f "$partial"; exit 1; }
    mv -f "$partial" "$tarball"
    find "$CACHE_DIR" -maxdepth 1 -name "rootfs-$SUITE-*.tar" ! -path "$tarball" -delete # outdated recipes
    printf '%s' "$tarball"
}

make_base_image() {
    if docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
        say "base image $BASE_IMAGE present"
        return 0
    fi
    if ! docker image inspect "$RAW_IMAGE" >/dev/null 2>&1; then
        local tarball
        tarball=$(rootfs_tarball)
        say "importing $tarball as $RAW_IMAGE"
        docker import --change 'ENV LANG=C.UTF-8' --change 'CMD ["python3"]' "$tarball" "$RAW_IMAGE" >/dev/null
    fi
    local certs=(/usr/local/share/ca-certificates/*.crt)
    if [ ! -e "${certs[0]}" ]; then
        say "no extra CA certificates on this host; $BASE_IMAGE = $RAW_IMAGE"
        docker tag "$RAW_IMAGE" "$BASE_IMAGE"
        return 0
    fi
    # per-machine layer: the host's extra CAs, so TLS-intercepted PyPI traffic verifies in builds
    local context status=0
    context=$(mktemp -d)
    cp "${certs[@]}" "$context/"
    printf 'FROM %s\nCOPY *.crt /usr/local/share/ca-certificates/\nRUN update-ca-certificates\n' \
        "$RAW_IMAGE" >"$context/Dockerfile"
    say "adding the host CA certificates: $BASE_IMAGE"
    local output
    output=$(DOCKER_BUILDKIT=0 docker build -q -t "$BASE_IMAGE" "$context" 2>&1) || { status=$?; printf '%s\n' "$output" >&2; }
    rm -rf "$context"
    return "$status"
}

main() {
    local started=$SECONDS
    install_packages
    start_engine
    make_base_image
    say "done in $((SECONDS - started)) s: $(docker image inspect -f '{{.Id}}' "$BASE_IMAGE" | cut -c1-19)" \
        "($(docker run --rm "$BASE_IMAGE" python3 --version 2>&1))"
}

main "$@"
