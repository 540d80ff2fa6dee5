#!/usr/bin/env bash
# make bench-chain: throughput under load, side by side on this machine.
# For one node and for four validators (on 127.0.0.1): a fresh network
# (scripts/testnet.sh --init-only, no sidecars), the load fixture
# (loopin-load fixture: BENCH_DEVICES sealed devices with LP stakes over the
# classes, BENCH_CLIENTS clients, BENCH_MINERS miners), then each mix at the
# highest rate the node takes and again at half that rate for latency, then
# the in-process executors (sequential and Block-STM) on the same fixture:
# the epoch-end block, each mix, the market within one pool and the
# verifiers' challenge reports. Tables: $BENCH_OUT/results.md (printed).
#
#   scripts/bench-chain.sh           the full run (about 20 minutes on 2 cores)
#   scripts/bench-chain.sh --smoke   one node, a small fixture, a few hundred
#                                    transactions per mix (CI; no timing kept)
#
# Environment: BENCH_OUT (build/bench-chain), BENCH_NETWORKS ("1 4"),
# BENCH_DEVICES (10000), BENCH_CLIENTS (4000), BENCH_MINERS (500),
# BENCH_TXS (20000 per mix), BENCH_EPOCH (60s), BENCH_BLOCK_TIME (1s),
# BENCH_EXECUTOR (sequential; block-stm runs the nodes with the SDK's
# Block-STM), BENCH_PORT_SHIFT (500: node i's ports are the testnet's + 500),
# BENCH_LOG_LEVEL (warn; e.g. "mempool:debug,*:warn" to trace lost txs),
# BENCH_MIXES ("bank market renew": the network runs), BENCH_EXEC (1; 0 skips
# the in-process executors),
# BENCH_BIN / BENCH_LOAD_BIN (use these binaries, do not build).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# shellcheck source=scripts/lib.sh
. "$root/scripts/lib.sh"

SMOKE=0
for arg in "$@"; do
  case "$arg" in
    --smoke) SMOKE=1 ;;
    -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench-chain: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

OUT=${BENCH_OUT:-$root/build/bench-chain}
if [ "$SMOKE" = 1 ]; then
  NETWORKS=${BENCH_NETWORKS:-1} DEVICES=${BENCH_DEVICES:-200} CLIENTS=${BENCH_CLIENTS:-100}
  MINERS=${BENCH_MINERS:-20} TXS=${BENCH_TXS:-300} EXEC_TXS=50 EXEC_BLOCKS=1
else
  NETWORKS=${BENCH_NETWORKS:-1 4} DEVICES=${BENCH_DEVICES:-10000} CLIENTS=${BENCH_CLIENTS:-4000}
  MINERS=${BENCH_MINERS:-500} TXS=${BENCH_TXS:-20000} EXEC_TXS=1000 EXEC_BLOCKS=3
fi
EPOCH=${BENCH_EPOCH:-60s}
BLOCK_TIME=${BENCH_BLOCK_TIME:-1s}
EXECUTOR=${BENCH_EXECUTOR:-sequential}
SHIFT=${BENCH_PORT_SHIFT:-500}
LOG_LEVEL=${BENCH_LOG_LEVEL:-warn}
MIXES=${BENCH_MIXES:-bank market renew}
EXEC=${BENCH_EXEC:-1}
BIN=${BENCH_BIN:-$root/build/loopind}
LOAD=${BENCH_LOAD_BIN:-$root/build/loopin-load}
need go jq

if [ -z "${BENCH_BIN:-}" ]; then
  log "building loopind"
  go build -trimpath -ldflags "${LOOPIN_LDFLAGS:-}" -o "$BIN" ./cmd/loopind
fi
if [ -z "${BENCH_LOAD_BIN:-}" ]; then
  log "building loopin-load"
  go build -trimpath -o "$LOAD" ./tests/load
fi

rm -rf "$OUT"
mkdir -p "$OUT"
pids=()
stop_nodes() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
}
trap stop_nodes INT TERM EXIT

{
  echo "# make bench-chain$([ "$SMOKE" = 1 ] && echo ' --smoke'), $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "Machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(free -g | awk '/Mem:/ {print $2}') GiB; $(go version | cut -d' ' -f3); $(git rev-parse --short HEAD 2>/dev/null || echo '?')."
  echo "Fixture: $DEVICES sealed devices with LP stakes, $CLIENTS clients, $MINERS miners; epoch $EPOCH; timeout_commit $BLOCK_TIME; executor $EXECUTOR; $TXS transactions per mix at the highest rate$([ "$SMOKE" = 1 ] && echo ' (smoke: no half-rate runs)' || echo ', then for 30 s at half that rate')."
} >"$OUT/header.md"

runs=()
for n in $NETWORKS; do
  label="1 node"
  [ "$n" = 1 ] || label="$n validators"
  base=$OUT/n$n
  log "$label: fresh network in $base"
  TESTNET_VALIDATORS=$n TESTNET_HOME=$base TESTNET_SIDECARS=0 TESTNET_BIN=$BIN TESTNET_PORT_SHIFT=$SHIFT \
    TESTNET_EPOCH=$EPOCH TESTNET_BLOCK_TIME=$BLOCK_TIME TESTNET_CHAIN_ID=loopin-bench-1 \
    "$root/scripts/testnet.sh" --init-only >"$OUT/n$n-init.log" 2>&1 || { cat "$OUT/n$n-init.log"; exit 1; }
  log "$label: fixture"
  "$LOAD" fixture "$base/node0/config/genesis.json" --devices "$DEVICES" --clients "$CLIENTS" --miners "$MINERS"
  for ((i = 1; i < n; i++)); do cp "$base/node0/config/genesis.json" "$base/node$i/config/genesis.json"; done
  for ((i = 0; i < n; i++)); do
    ports_free $((26656 + 10 * i + SHIFT)) $((26657 + 10 * i + SHIFT)) $((9090 + 10 * i + SHIFT)) $((1317 + 10 * i + SHIFT))
    "$BIN" start --home "$base/node$i" --log_level "$LOG_LEVEL" --log_no_color --block-executor "$EXECUTOR" >"$base/node$i/node.log" 2>&1 &
    pids+=("$!")
  done
  rpc=tcp://127.0.0.1:$((26657 + SHIFT))
  initial=$(jq -r .initial_height "$base/node0/config/fixture.json")
  for _ in $(seq 1 120); do
    h=$("$BIN" status --node "$rpc" 2>/dev/null | jq -r '.sync_info.latest_block_height' 2>/dev/null || echo 0)
    [ "${h:-0}" -gt "$initial" ] 2>/dev/null && break
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null || { tail -20 "$base"/node*/node.log; echo "bench-chain: a node exited" >&2; exit 1; }; done
    sleep 1
  done
  [ "${h:-0}" -gt "$initial" ] 2>/dev/null || { echo "bench-chain: $label made no block within 2 minutes" >&2; exit 1; }
  pidflags=()
  for p in "${pids[@]}"; do pidflags+=(--pid "$p"); done
  for mix in $MIXES; do
    log "$label: $mix at the highest rate"
    "$LOAD" run "$mix" --node "$rpc" --manifest "$base/node0/config/fixture.json" --label "$label" --txs "$TXS" \
      "${pidflags[@]}" --out "$base/run-$mix-max.json"
    runs+=("$base/run-$mix-max.json")
    if [ "$SMOKE" = 0 ]; then
      rate=$(jq -r '(.tx_per_sec / 2) | floor' "$base/run-$mix-max.json")
      [ "$rate" -ge 1 ] || rate=1 # --rate 0 would mean the highest rate again
      log "$label: $mix at $rate tx/s, for latency"
      "$LOAD" run "$mix" --node "$rpc" --manifest "$base/node0/config/fixture.json" --label "$label" --txs $((rate * 30)) \
        --rate "$rate" "${pidflags[@]}" --out "$base/run-$mix-half.json"
      runs+=("$base/run-$mix-half.json")
    fi
  done
  stop_nodes
done

first=$(set -- $NETWORKS; echo "$1")
execs=()
if [ "$EXEC" != 0 ]; then
  log "in-process executors on the $first-validator fixture"
  "$LOAD" exec "$OUT/n$first/node0/config/genesis.json" --block-txs "$EXEC_TXS" --blocks "$EXEC_BLOCKS" --out "$OUT/exec.json"
  execs=("$OUT/exec.json")
fi

{ cat "$OUT/header.md"; "$LOAD" report "${runs[@]}" "${execs[@]}"; } >"$OUT/results.md"
echo
cat "$OUT/results.md"
echo
log "results: $OUT/results.md (every block of every run: $OUT/n*/run-*.json)"
