#!/usr/bin/env bash
# Installs what the tests need (Debian packages), builds runc-guard, and runs every test tier:
# unit (GoogleTest), integration (built binaries against the real runc and kernel), e2e (real dockerd and
# containerd, real podman and conmon), fuzz / sanitizer (a clang tree with ASan and UBSan: the unit tier and
# libFuzzer targets). Usage: ./tests/run.sh [ctest args...], e.g. ./tests/run.sh -L unit
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential cmake pkg-config
  libseccomp-dev nlohmann-json3-dev libboost-dev libmd-dev libcli11-dev
  libtomlplusplus-dev libgtest-dev libgmock-dev libcap-dev
  runc busybox-static docker.io containerd jq iproute2 util-linux file binutils python3 python3-yaml dpkg-dev
  # podman 4.3 e2e (tests/e2e/podman_runtime.sh): no network, no rootless, no --init, so neither slirp4netns,
  # uidmap nor catatonit; containers-common comes with podman and pulls a network stack (CNI plugins).
  podman conmon
  strace tini inotify-tools
  # the Go oracle for runc-guard's JSON reader (tests/integration/json_oracle.sh): Go's encoding/json and the
  # runtime-spec Go types runc decodes into
  golang-go golang-github-opencontainers-specs-dev
  # the fuzz / sanitizer tier (tests/fuzz/sanitize.sh): clang with libFuzzer, the ASan/UBSan runtimes and
  # llvm-symbolizer for readable reports (both only recommended, and recommends are not installed); ninja
  # builds that tree a third faster than make on two cores (it compiles across library boundaries)
  clang-16 libfuzzer-16-dev libclang-rt-16-dev llvm-16 ninja-build
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "tests/run.sh: installing ${missing[*]}"
  if [ "$(id -u)" != 0 ]; then
    echo "tests/run.sh: must run as root to install packages and drive runc" >&2
    exit 2
  fi
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

BUILD=${RG_BUILD_DIR:-build}
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DRUNC_GUARD_TESTS=ON -DRUNC_GUARD_STATIC=ON
cmake --build "$BUILD" -j"$(nproc)"
cd "$BUILD"
ctest --output-on-failure --timeout 900 "$@"
