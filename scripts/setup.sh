#!/usr/bin/env bash
# Sets up a fresh Debian/Ubuntu machine for strata: system packages (apt), npm packages
# (npm ci, from the lockfile) and the compiled CLI (npm run build). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

# The host tools strata and its tests use: the sandbox (bubblewrap), archive tools for ADD,
# binutils for the seed cross-checks and test fixtures, busybox-static for test base images,
# gpg/skopeo/umoci as foreign clients, Debian's OCI registry for registry tests.
APT_PACKAGES=(
  bubblewrap
  busybox-static
  binutils
  bzip2
  xz-utils
  zstd
  gnupg
  skopeo
  umoci
  docker-registry
  attr
  ca-certificates
  openssl
  apache2-utils
  faketime
  buildah
  git
  # the native addon (xattrs, whiteouts) and the static strata-exec helper: node-gyp needs these
  python3
  make
  gcc
  g++
  libc6-dev
)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  missing+=(nodejs npm)
fi
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 20 ]; then
  echo "setup: strata needs Node.js 20 or newer, found $(node --version) — install a newer nodejs package (Debian 13 / Ubuntu 24.10 ship 20+)" >&2
  exit 2
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run --silent build
