#!/usr/bin/env bash
# Set up the Docker sandbox on a machine without a reachable image registry (CI, air-gapped
# hosts).  Idempotent: every step is skipped when its result already exists.
#
#   1. apt-get install docker.io debootstrap      (only if `docker`/`debootstrap` missing)
#   2. start dockerd in the background            (only if `docker info` fails)
#   3. debootstrap a minimal Debian bookworm with python3 and `docker import` it as
#      $CODERM_BASE_IMAGE (default coderm-base:bookworm)   (only if that image is missing)
#   4. build coderm_evalplus/execute/Dockerfile (the package's one Dockerfile) FROM that
#      base as $CODERM_SANDBOX_IMAGE
#      (default coderm-evalplus-sandbox:latest)  (docker's layer cache makes a rebuild cheap)
#
# Environment knobs: CODERM_BASE_IMAGE, CODERM_SANDBOX_IMAGE, CODERM_DEBIAN_MIRROR,
# CODERM_DOCKERD_LOG (default /var/log/coderm-dockerd.log), CODERM_SKIP_BASE=1 (use
# BASE_IMAGE as given, e.g. python:3.11-slim when a registry is reachable),
# CODERM_APT_ETC (default /etc/apt: where the apt sources are read from).
# Needs root for apt-get, dockerd and debootstrap.
#
#   setup_docker.sh --print-mirror   only print the Debian mirror found in the apt sources
#                                    (exit 1 with a message when there is none)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(dirname "$HERE")"
BASE_IMAGE="${CODERM_BASE_IMAGE:-coderm-base:bookworm}"
SANDBOX_IMAGE="${CODERM_SANDBOX_IMAGE:-coderm-evalplus-sandbox:latest}"
MIRROR="${CODERM_DEBIAN_MIRROR:-}"
DOCKERD_LOG="${CODERM_DOCKERD_LOG:-/var/log/coderm-dockerd.log}"
APT_ETC="${CODERM_APT_ETC:-/etc/apt}"

log() { printf '[setup_docker] %s\n' "$*" >&2; }

# The Debian mirror this machine's apt already uses for bookworm's main archive: the
# first URI whose suites include plain "bookworm", from deb822 *.sources files or
# one-line *.list files (disabled files, -updates and -security suites are skipped).
# No host is named in this repository: the machine's own apt configuration decides.
apt_mirror() {
  local f
  for f in "$APT_ETC"/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk 'BEGIN { RS = ""; FS = "\n" }
         { uri = ""; ok = 0
           for (i = 1; i <= NF; i++) {
             if ($i ~ /^URIs:/) { split($i, a, /[ \t]+/); uri = a[2] }
             if ($i ~ /^Suites:/) { n = split($i, s, /[ \t]+/)
               for (j = 2; j <= n; j++) if (s[j] == "bookworm") ok = 1 }
           }
           if (ok && uri != "") { print uri; exit } }' "$f"
  done
  for f in "$APT_ETC"/sources.list "$APT_ETC"/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    awk '$1 == "deb" { k = 2; if ($2 ~ /^\[/) { while ($k !~ /\]$/) k++; k++ }
                       if ($(k + 1) == "bookworm") { print $k; exit } }' "$f"
  done
}

# The mirror for debootstrap: CODERM_DEBIAN_MIRROR, else apt's; a clear error when neither.
debian_mirror() {
  local m="$MIRROR"
  [ -n "$m" ] || m="$(apt_mirror | head -n 1)"
  if [ -z "$m" ]; then
    log "no Debian bookworm mirror in $APT_ETC/sources.list or $APT_ETC/sources.list.d/ (deb822 URIs: or one-line deb entries); set CODERM_DEBIAN_MIRROR"
    return 1
  fi
  printf '%s\n' "$m"
}

if [ "${1:-}" = "--print-mirror" ]; then
  debian_mirror
  exit $?
fi

t0=$(date +%s)

# 1. packages
missing=()
command -v docker >/dev/null 2>&1 || missing+=(docker.io)
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
if [ "${CODERM_SKIP_BASE:-0}" != 1 ] && ! command -v debootstrap >/dev/null 2>&1; then
  missing+=(debootstrap)
fi
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# 2. daemon
if ! docker info >/dev/null 2>&1; then
  log "starting dockerd (log: $DOCKERD_LOG)"
  mkdir -p "$(dirname "$DOCKERD_LOG")"
  nohup dockerd >>"$DOCKERD_LOG" 2>&1 </dev/null &
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 1
  done
  if ! docker info >/dev/null 2>&1; then
    log "dockerd did not come up within 60 s; last lines of $DOCKERD_LOG:"
    tail -n 20 "$DOCKERD_LOG" >&2 || true
    exit 1
  fi
fi
log "docker daemon up ($(docker info --format '{{.ServerVersion}}'))"

# 3. base image (no registry needed)
if [ "${CODERM_SKIP_BASE:-0}" != 1 ] && ! docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
  MIRROR="$(debian_mirror)" || exit 1
  root="$(mktemp -d /tmp/coderm-rootfs.XXXXXX)"
  trap 'rm -rf "$root"' EXIT
  log "debootstrap bookworm minbase + python3 into $root from apt's mirror (about a minute)"
  debootstrap --variant=minbase --include=python3 bookworm "$root" "$MIRROR" >/dev/null
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  tar -C "$root" -c . | docker import - "$BASE_IMAGE" >/dev/null
  rm -rf "$root"
  trap - EXIT
  log "imported $BASE_IMAGE"
fi

# 4. sandbox image, from a staged context holding only what the Dockerfile copies
ctx="$(mktemp -d /tmp/coderm-ctx.XXXXXX)"
mkdir -p "$ctx/coderm_evalplus/execute"
cp "$REPO/coderm_evalplus/execute/worker.py" "$ctx/coderm_evalplus/execute/worker.py"
log "building $SANDBOX_IMAGE FROM $BASE_IMAGE"
# the label lets the executor refuse an image built from another worker.py (stale image)
digest="$(sha256sum "$ctx/coderm_evalplus/execute/worker.py" | cut -d' ' -f1)"
docker build -q -f "$REPO/coderm_evalplus/execute/Dockerfile" --build-arg "BASE_IMAGE=$BASE_IMAGE" \
  --label "coderm-evalplus.worker-sha256=$digest" -t "$SANDBOX_IMAGE" "$ctx" >/dev/null
rm -rf "$ctx"
docker run --rm --network none "$SANDBOX_IMAGE" python3 -c 'import unittest, json, ctypes' \
  || { log "image $SANDBOX_IMAGE cannot import what the worker needs"; exit 1; }
log "ready: $SANDBOX_IMAGE ($(( $(date +%s) - t0 )) s)"
