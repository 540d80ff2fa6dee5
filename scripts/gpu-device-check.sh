#!/usr/bin/env bash
# The GPU checks, in one run, for a machine with an NVIDIA GPU and its driver
# only (no Go toolchain, no CUDA toolkit, no network). Prepare here with
# `make gpu-device-bundle` (writes .gpu/gpu.test and .gpu/loopind.gz, about
# 50 MB together), carry .gpu/ to the GPU machine with the working tree (the
# tests read gpu/testdata), and run this script there from the repository
# root.
#
# Each step's full output goes to $OUT/<step>.txt (OUT defaults to .gpu/out)
# and its tail to stdout; a step that fails or runs past its time limit (in
# seconds, below; SCALE multiplies them all) does not stop the next. All
# together stay under 9 minutes, so one run fits the device tool's 10-minute
# call. The figures go into docs/benchmarks.md ("gpu package, CUDA backend").
set -uo pipefail
cd "$(dirname "$0")/.."
out=$(realpath -m "${OUT:-.gpu/out}")
scale=${SCALE:-1}
class=${CLASS:-h100-sxm}
mkdir -p "$out"
for f in .gpu/gpu.test .gpu/loopind.gz; do
  [ -f "$f" ] || { echo "$f missing: run 'make gpu-device-bundle' on the build machine and carry .gpu/" >&2; exit 2; }
done
root=$PWD
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
gzip -dc .gpu/loopind.gz > "$bin/loopind" && chmod +x "$bin/loopind"
loopind=$bin/loopind
gputest=$root/.gpu/gpu.test
chmod +x "$gputest"

failed=0
# step NAME SECONDS COMMAND...
step() {
  local name=$1 limit=$(($2 * scale)); shift 2
  printf '\n=== %s (limit %ds): %s\n' "$name" "$limit" "$*"
  local start=$SECONDS
  timeout --kill-after=5 "$limit" "$@" >"$out/$name.txt" 2>&1
  local rc=$?
  tail -n 25 "$out/$name.txt"
  printf 'rc=%d after %ds\n' "$rc" $((SECONDS - start)) | tee -a "$out/$name.txt"
  [ "$rc" = 0 ] || failed=$((failed + 1))
}

step nvidia-smi 20 nvidia-smi
step info 20 "$loopind" gpu info --backend cuda
# The test binary runs in gpu/, where it finds testdata/vectors.json (the CPU
# reference's answers): the CUDA backend must match them bit for bit.
# The emulated-driver test is skipped: here the real driver is the one to test.
cd "$root/gpu"
step tests 120 "$gputest" -test.run 'CUDA|Vectors|Open' -test.skip 'Emulated' -test.v -test.count=1
step bench-go 120 "$gputest" -test.run '^$' -test.bench 'CUDA' -test.benchtime 5x
cd "$root"
step bench-quick 60 "$loopind" gpu bench --backend cuda
step bench-class 180 "$loopind" gpu bench --backend cuda --class "$class"

printf '\n%d step(s) failed; outputs in %s\n' "$failed" "$out"
[ "$failed" = 0 ]
