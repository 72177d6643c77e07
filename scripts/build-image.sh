#!/usr/bin/env bash
# Build the govproxy container image without a Docker daemon or an image registry:
#   1. debootstrap a minimal Debian bookworm (python3 3.11) from the apt mirror this machine uses,
#   2. import that root filesystem as a base image (buildah from scratch + copy + commit),
#   3. build the Dockerfile on it with buildah (vfs storage, chroot isolation: no daemon, no user namespaces).
#
#   scripts/build-image.sh [IMAGE_TAG]        (default localhost/govproxy:dev; needs root, buildah, debootstrap)
#
# Environment: GOVPROXY_BASE_TAG (default localhost/govproxy-base:bookworm; reused when it exists, set
# GOVPROXY_REBUILD_BASE=1 to rebuild it), DEBIAN_MIRROR (default: the first URIs: line under /etc/apt/sources.list.d,
# else http://deb.debian.org/debian), BUILDAH_ROOT (default /var/lib/govproxy-buildah: storage for images),
# BUILD_CA_BUNDLE (default: $PIP_CERT when set): a CA bundle that replaces the base's trust store, for machines whose
# HTTPS goes through an intercepting proxy (pip inside the build must trust it). It then stays in the image's trust
# store: set BUILD_CA_BUNDLE= (empty) where PyPI is reached directly.
set -euo pipefail

TAG=${1:-localhost/govproxy:dev}
BASE_TAG=${GOVPROXY_BASE_TAG:-localhost/govproxy-base:bookworm}
ROOT=${BUILDAH_ROOT:-/var/lib/govproxy-buildah}
REPO=$(cd "$(dirname "$0")/.." && pwd)
BUILDAH=(buildah --root "$ROOT/storage" --runroot "$ROOT/run" --storage-driver vfs)

mirror() {
  local uri
  uri=$(grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | head -n1 | awk '{print $2}') || true
  if [ -z "$uri" ]; then
    uri=$(grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list | head -n1 | awk '{print $2}') || true
  fi
  echo "${DEBIAN_MIRROR:-${uri:-http://deb.debian.org/debian}}"
}

mkdir -p "$ROOT"
start=$(date +%s)
if [ "${GOVPROXY_REBUILD_BASE:-0}" = 1 ] || ! "${BUILDAH[@]}" inspect --type image "$BASE_TAG" >/dev/null 2>&1; then
  rootfs=$(mktemp -d "$ROOT/rootfs.XXXXXX")
  trap 'rm -rf "$rootfs"' EXIT
  # minbase + what the Dockerfile's stages need: python3 (3.11) with venv and pip, `python` on PATH, TLS roots.
  debootstrap --variant=minbase \
    --include=python3,python3-venv,python3-pip,python-is-python3,ca-certificates \
    bookworm "$rootfs" "$(mirror)"
  # The image's apt gets the same mirror; no caches or logs in the base.
  echo "deb $(mirror) bookworm main" > "$rootfs/etc/apt/sources.list"
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/log/*
  ctr=$("${BUILDAH[@]}" from scratch)
  "${BUILDAH[@]}" copy "$ctr" "$rootfs" /
  "${BUILDAH[@]}" config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --cmd /bin/bash "$ctr"
  "${BUILDAH[@]}" commit --rm "$ctr" "$BASE_TAG"
  echo "base image $BASE_TAG built in $(( $(date +%s) - start )) s"
fi

PYTHON_IMAGE=$BASE_TAG
CA_BUNDLE=${BUILD_CA_BUNDLE-${PIP_CERT:-}}
if [ -n "$CA_BUNDLE" ]; then
  PYTHON_IMAGE="$BASE_TAG-ca"
  ctr=$("${BUILDAH[@]}" from "$BASE_TAG")
  "${BUILDAH[@]}" copy "$ctr" "$CA_BUNDLE" /etc/ssl/certs/ca-certificates.crt
  "${BUILDAH[@]}" commit --rm "$ctr" "$PYTHON_IMAGE"
fi

build_start=$(date +%s)
"${BUILDAH[@]}" bud --isolation chroot --layers=false --format docker \
  --build-arg PYTHON_IMAGE="$PYTHON_IMAGE" \
  --build-arg VERSION="$(grep -m1 '^version' "$REPO/pyproject.toml" | cut -d'"' -f2)" \
  --build-arg REVISION="$(git -C "$REPO" rev-parse HEAD 2>/dev/null || echo unknown)" \
  --build-arg CREATED="$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
  -t "$TAG" "$REPO"
echo "image $TAG built in $(( $(date +%s) - build_start )) s (total $(( $(date +%s) - start )) s)"
"${BUILDAH[@]}" images "$TAG"
