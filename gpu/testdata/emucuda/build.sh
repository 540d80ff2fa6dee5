#!/usr/bin/env bash
# Builds the emulated libcuda.so.1 (emucuda.cc, the kernels of
# gpu/kernels/pocps.cu on the CPU) for one arch:
#
#   gpu/testdata/emucuda/build.sh 90|80|70 OUTDIR    writes OUTDIR/libcuda.so.1
#
# 90 and 80 emulate the mma.sync GEMM of sm_90a/sm_80, 70 the dp4a one of
# sm_70. Exits 3 when no C++20 compiler (g++, clang++-19, clang++) is found,
# so callers can tell "cannot build here" from a build that failed.
set -euo pipefail
arch=${1:?usage: build.sh 90|80|70 OUTDIR}
out=${2:?usage: build.sh 90|80|70 OUTDIR}
case "$arch" in 90 | 80 | 70) ;; *) echo "arch $arch: use 90, 80 or 70" >&2; exit 2 ;; esac
here=$(cd "$(dirname "$0")" && pwd)
cxx=""
for c in g++ clang++-19 clang++; do
  if command -v "$c" >/dev/null; then cxx=$c; break; fi
done
[ -n "$cxx" ] || { echo "no C++ compiler (apt-get install -y g++)" >&2; exit 3; }
mkdir -p "$out"
"$cxx" -std=c++20 -O2 -shared -fPIC -pthread -DLOOPIN_HOST_EMULATION "-D__CUDA_ARCH__=${arch}0" \
  -I"$here" -o "$out/libcuda.so.1" "$here/emucuda.cc"
