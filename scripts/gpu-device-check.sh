#!/usr/bin/env bash
# The GPU checks, in one run, for a machine with an NVIDIA GPU and its driver
# only (no Go toolchain, no CUDA toolkit, no network). Prepare here with
# `make gpu-device-bundle` (writes .gpu/bundle/gpu.test.gz and loopind.gz,
# about 60 MB together), carry .gpu/bundle to the GPU machine with the
# working tree (the tests read gpu/testdata), and run this script there from
# the repository root:
#
#   scripts/gpu-device-check.sh            # OUT=.gpu/out, the device's class
#   CLASS=h200 OUT=/tmp/out scripts/gpu-device-check.sh
#
# The steps, in this order (docs/benchmarks.md, "gpu package, CUDA backend"):
#   driver       nvidia-smi: the device, driver, clocks and power limit
#   info         loopind gpu info: what the backend sees, the PTX it loaded
#   tests        the bit-exact tests on the real driver (vectors, proofs,
#                edge parameters, the profiler), against the CPU reference
#   sanitizer    compute-sanitizer memcheck over the same tests, where the
#                toolkit's compute-sanitizer is on PATH (skipped otherwise)
#   kernels      each kernel's time for one 8192³ GEMM round, one labeling
#                chunk and one residency run
#   gemm-simple  GEMM ops/s and the fraction of the class's dense int8 peak,
#   gemm-tiled   for both kernel variants (--kernel)
#   residency-host  the walks with the seal in device memory against the
#                same seal in pinned host memory read over PCIe: the
#                soundness measurement (docs/pocps.md §9)
#   class-seal   a seal of the device's class at full size (more than half
#                its memory) with the setup proof, residency, GEMM and both
#                audits, and the peak device and host memory
#
# Each step's full output goes to $OUT/<step>.txt and its tail to stdout; a
# step that fails or runs past its limit (seconds, below; SCALE multiplies
# them) does not stop the next. The limits add up to 8 minutes. The figures
# are collected in $OUT/summary.md, ready for docs/benchmarks.md.
set -uo pipefail
cd "$(dirname "$0")/.."
out=$(realpath -m "${OUT:-.gpu/out}")
scale=${SCALE:-1}
mkdir -p "$out"
for f in .gpu/bundle/gpu.test.gz .gpu/bundle/loopind.gz; do
  [ -f "$f" ] || { echo "$f missing: run 'make gpu-device-bundle' on the build machine and carry .gpu/bundle" >&2; exit 2; }
done
root=$PWD
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
gzip -dc .gpu/bundle/loopind.gz > "$bin/loopind" && chmod +x "$bin/loopind"
gzip -dc .gpu/bundle/gpu.test.gz > "$bin/gpu.test" && chmod +x "$bin/gpu.test"
loopind=$bin/loopind
gputest=$bin/gpu.test

# The device's class from its name, unless CLASS is given.
name=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -n1)
if [ -z "${CLASS:-}" ]; then
  case "$name" in
  *H200*) CLASS=h200 ;;
  *H100*NVL*) CLASS=h100-nvl ;;
  *H100*PCIe*) CLASS=h100-pcie ;;
  *H100*) CLASS=h100-sxm ;;
  *A100*) CLASS=a100 ;;
  *L40S*) CLASS=l40s ;;
  *L40*) CLASS=l40 ;;
  *4090*) CLASS=rtx-4090 ;;
  *) CLASS=h100-sxm ;;
  esac
fi
class=$CLASS

failed=0
summary=$out/summary.md
{
  echo "# GPU device check: ${name:-no nvidia-smi}, class $class"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), loopind $("$loopind" version 2>/dev/null || echo '?')"
} > "$summary"

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
  {
    echo
    echo "## $name (rc=$rc, $((SECONDS - start)) s)"
    echo
    echo '```'
    echo "\$ $*" | sed "s#$bin/##; s#$root/##"
    # The figures: the bench's result lines, the tests' verdicts, the
    # driver's table; everything else stays in $name.txt.
    grep -E '^(Seal|Setup|Residency|GEMM|Audit|Memory|class|params|backend|device|memory|driver|compute|ptx|  [a-z_]+.*launch|Kernels|--- (PASS|FAIL|SKIP)|ok|FAIL|PASS|=+ ERROR SUMMARY|name,|NVIDIA|[A-Z].*, [0-9])' "$out/$name.txt" | head -n 60
    echo '```'
  } >> "$summary"
}

step driver 15 bash -c 'nvidia-smi && nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm,clocks.mem,clocks.max.mem,power.limit,pcie.link.gen.current,pcie.link.width.current --format=csv'
step info 15 "$loopind" gpu info --backend cuda
# The test binary runs in gpu/, where it finds testdata/vectors.json (the CPU
# reference's answers): the CUDA backend must match them bit for bit.
# LOOPIN_GPU_DEVICE=1 runs the tests written for the emulated driver's
# children that also hold on a real device; the emulated driver is skipped.
cd "$root/gpu"
tests='CUDA|Vectors|Open'
step tests 60 env LOOPIN_GPU_DEVICE=1 "$gputest" -test.run "$tests" -test.skip 'Emulated|NearlyFills|ScaledClass' -test.v -test.count=1
if command -v compute-sanitizer >/dev/null; then
  step sanitizer 60 env LOOPIN_GPU_DEVICE=1 compute-sanitizer --tool memcheck --error-exitcode 1 "$gputest" -test.run 'TestCUDAMatchesVectors|TestCUDAEdgeParams' -test.count=1
else
  echo "compute-sanitizer not on PATH: sanitizer skipped" | tee "$out/sanitizer.txt"
  printf '\n## sanitizer\n\nskipped: compute-sanitizer not on PATH\n' >> "$summary"
fi
cd "$root"
# One 8192³ round beside a 1 GiB seal (one layer: the labeling chunk is
# timed on its own).
small=(--backend cuda --class "$class" --seal-size 1GiB --layers 1 --gemm-dim 8192)
step kernels 30 "$loopind" gpu bench "${small[@]}" --rounds 1 --kernels
step gemm-simple 30 "$loopind" gpu bench "${small[@]}" --rounds 32 --kernel simple
step gemm-tiled 30 "$loopind" gpu bench "${small[@]}" --rounds 32 --kernel tiled
# The class's walks over an 8 GiB seal, in HBM and in pinned host memory.
step residency-host 60 "$loopind" gpu bench --backend cuda --class "$class" --seal-size 8GiB --layers 1 --rounds 1 --residency-host
step class-seal 180 "$loopind" gpu bench --backend cuda --class "$class"

printf '\n%d step(s) failed; outputs in %s, figures in %s\n' "$failed" "$out" "$summary"
[ "$failed" = 0 ]
