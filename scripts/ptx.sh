#!/usr/bin/env bash
# Compiles gpu/kernels/pocps.cu to PTX for every target with Debian's clang-19
# (no NVIDIA toolkit needed; docs/protocol.md §7).
#
#   scripts/ptx.sh            write gpu/ptx/pocps_<arch>.ptx
#   scripts/ptx.sh --check    fail if the committed PTX differs from a fresh build
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
CLANG=${CLANG:-clang++-19}
command -v "$CLANG" >/dev/null || {
  echo "$CLANG not found: install it with 'apt-get install -y clang-19'" >&2
  exit 1
}
out=gpu/ptx
check=0
if [ "${1:-}" = "--check" ]; then check=1; out=$(mktemp -d); trap 'rm -rf "$out"' EXIT; fi
for arch in sm_70 sm_80 sm_90a; do
  "$CLANG" -x cuda --cuda-device-only -nocudainc -nocudalib --cuda-gpu-arch=$arch -O3 -S \
    -o "$out/pocps_$arch.ptx" gpu/kernels/pocps.cu
done
if [ $check = 1 ]; then
  for f in "$out"/*.ptx; do
    cmp -s "$f" "gpu/ptx/$(basename "$f")" || { echo "stale PTX: gpu/ptx/$(basename "$f"); run 'make ptx' and commit" >&2; exit 1; }
  done
  echo "PTX is up to date"
else
  ls -l gpu/ptx
fi
