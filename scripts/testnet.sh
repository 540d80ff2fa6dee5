#!/usr/bin/env bash
# make testnet: a LooPIN network of TESTNET_VALIDATORS (default 4) validators
# on 127.0.0.1 in ./.testnet, each with its verifier sidecar registered, and
# two CPU miner sidecars (one LP stake, one sale) on rtx-4090, in the
# foreground.
#
#   scripts/testnet.sh              build, create a fresh network, start it
#   scripts/testnet.sh --keep       build and resume the network in ./.testnet
#   scripts/testnet.sh --init-only  create the homes and exit (tests start them)
#   scripts/testnet.sh join         a full node (node<N>, made afresh) joins
#                                   the running network by state sync
#
# Homes: .testnet/node0 … node<N-1>; node0's keyring also holds the demo
# keys miner, seller and client (test keyring, no passphrase). Ports of node
# i: the localnet's plus 10·i (P2P 26656, RPC 26657, gRPC 9090, REST 1317,
# CometBFT Prometheus 26660, verifier 9500, verifier metrics 9501); miner
# sidecars :9400 (LP, metrics :9401) and :9410 (sale, metrics :9411), their
# host's lease SSH server :2222 (needs openssh-server); the joining node is
# node N. TESTNET_PORT_SHIFT moves every port.
# Environment: TESTNET_VALIDATORS (4, at most 9), TESTNET_HOME (./.testnet),
# TESTNET_EPOCH (30s), TESTNET_BLOCK_TIME (1s), TESTNET_VOTING_PERIOD (60s),
# TESTNET_CHALLENGE_DEADLINE (120s), TESTNET_SNAPSHOT_INTERVAL (20 blocks),
# TESTNET_CHAIN_ID (loopin-testnet-1), TESTNET_SIDECARS=0 (nodes only),
# TESTNET_BIN (use this loopind, do not build).
# Ctrl-C stops every process cleanly. Logs: .testnet/<node>/node.log,
# verifier.log; .testnet/miner.log, seller.log.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# shellcheck source=scripts/lib.sh
. "$root/scripts/lib.sh"

N=${TESTNET_VALIDATORS:-4}
BASE=${TESTNET_HOME:-$root/.testnet}
EPOCH=${TESTNET_EPOCH:-30s}
BLOCK_TIME=${TESTNET_BLOCK_TIME:-1s}
VOTING=${TESTNET_VOTING_PERIOD:-60s}
DEADLINE=${TESTNET_CHALLENGE_DEADLINE:-120s}
SNAPSHOTS=${TESTNET_SNAPSHOT_INTERVAL:-20}
CHAIN_ID=${TESTNET_CHAIN_ID:-loopin-testnet-1}
SHIFT=${TESTNET_PORT_SHIFT:-0}
SIDECARS=${TESTNET_SIDECARS:-1}
DENOM=uloop
BIN=${TESTNET_BIN:-$root/build/loopind}
MODE=run
KEEP=0

for arg in "$@"; do
  case "$arg" in
    --keep) KEEP=1 ;;
    --init-only) MODE=init ;;
    join) MODE=join ;;
    -h|--help) sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "testnet: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
  esac
done
case "$N" in
  [1-9]) ;;
  *) echo "testnet: TESTNET_VALIDATORS=$N: give 1 to 9" >&2; exit 2 ;;
esac

need go jq

# Ports of node i (the localnet's plus 10·i, plus TESTNET_PORT_SHIFT).
p2p() { echo $((26656 + 10 * $1 + SHIFT)); }
rpc() { echo $((26657 + 10 * $1 + SHIFT)); }
grpc() { echo $((9090 + 10 * $1 + SHIFT)); }
rest() { echo $((1317 + 10 * $1 + SHIFT)); }
prom() { echo $((26660 + 10 * $1 + SHIFT)); }
vport() { echo $((9500 + 10 * $1 + SHIFT)); }
vmetrics() { echo $((9501 + 10 * $1 + SHIFT)); }
home() { echo "$BASE/node$1"; }
ld() { local i=$1; shift; "$BIN" --home "$(home "$i")" "$@"; }
addr() { ld "$1" keys show "$2" -a --keyring-backend test; }

if [ -z "${TESTNET_BIN:-}" ]; then
  log "building loopind"
  go build -trimpath -ldflags "${LOOPIN_LDFLAGS:-}" -o "$BIN" ./cmd/loopind
fi

# configure I: point node I's listeners at its ports, peer it with the
# validators, shorten blocks, turn on snapshots, Prometheus, REST and gRPC.
configure() {
  local i=$1 cfg peers="" j
  cfg=$(home "$i")/config
  for ((j = 0; j < N; j++)); do
    [ "$j" = "$i" ] && continue
    peers+="${peers:+,}$(ld "$j" comet show-node-id)@127.0.0.1:$(p2p "$j")"
  done
  toml_set "$cfg/config.toml" "" moniker "\"node$i\""
  toml_set "$cfg/config.toml" consensus timeout_commit "\"$BLOCK_TIME\""
  toml_set "$cfg/config.toml" consensus timeout_propose "\"$BLOCK_TIME\""
  toml_set "$cfg/config.toml" rpc laddr "\"tcp://127.0.0.1:$(rpc "$i")\""
  toml_set "$cfg/config.toml" rpc pprof_laddr '""'
  toml_set "$cfg/config.toml" p2p laddr "\"tcp://127.0.0.1:$(p2p "$i")\""
  toml_set "$cfg/config.toml" p2p persistent_peers "\"$peers\""
  # Every peer is on 127.0.0.1: CometBFT must not take them for one host.
  toml_set "$cfg/config.toml" p2p addr_book_strict false
  toml_set "$cfg/config.toml" p2p allow_duplicate_ip true
  toml_set "$cfg/config.toml" instrumentation prometheus true
  toml_set "$cfg/config.toml" instrumentation prometheus_listen_addr "\"127.0.0.1:$(prom "$i")\""
  toml_set "$cfg/app.toml" "" minimum-gas-prices "\"0$DENOM\""
  toml_set "$cfg/app.toml" api enable true
  toml_set "$cfg/app.toml" api address "\"tcp://127.0.0.1:$(rest "$i")\""
  toml_set "$cfg/app.toml" api swagger true
  toml_set "$cfg/app.toml" grpc enable true
  toml_set "$cfg/app.toml" grpc address "\"127.0.0.1:$(grpc "$i")\""
  # Snapshots for nodes that join by state sync (docs/operations.md).
  toml_set "$cfg/app.toml" state-sync snapshot-interval "$SNAPSHOTS"
  # Ten snapshots (200 blocks at 20): a joining node discovers a snapshot,
  # verifies it and only then fetches its chunks; with two kept, a snapshot
  # lived 40 s, and a slow join found it pruned ("cannot add nil chunk").
  toml_set "$cfg/app.toml" state-sync snapshot-keep-recent 10
  # The CLI then needs no --chain-id, --node or --keyring-backend flags.
  toml_set "$cfg/client.toml" "" chain-id "\"$CHAIN_ID\""
  toml_set "$cfg/client.toml" "" keyring-backend '"test"'
  toml_set "$cfg/client.toml" "" node "\"tcp://127.0.0.1:$(rpc "$i")\""
}

create() {
  log "creating a fresh network $CHAIN_ID of $N validators in $BASE"
  rm -rf "$BASE"
  local i g0
  g0=$(home 0)/config/genesis.json
  for ((i = 0; i < N; i++)); do
    ld "$i" init "node$i" --chain-id "$CHAIN_ID" --default-denom "$DENOM" >/dev/null 2>&1
    ld "$i" keys add validator --keyring-backend test >/dev/null 2>&1
    ld 0 genesis add-genesis-account "$(addr "$i" validator)" 1000000000000$DENOM >/dev/null
  done
  for key in miner seller client; do
    ld 0 keys add "$key" --keyring-backend test >/dev/null 2>&1
    ld 0 genesis add-genesis-account "$key" 1000000000000$DENOM --keyring-backend test
  done
  # Several verifiers: a failure taken on trust needs two reporters.
  short_clocks "$g0" "$EPOCH" "$VOTING" "$(half "$VOTING")" 2 "$DEADLINE"
  # Every validator signs its gentx over the same accounts; node0 collects.
  mkdir -p "$(home 0)/config/gentx"
  for ((i = 0; i < N; i++)); do
    [ "$i" = 0 ] || cp "$g0" "$(home "$i")/config/genesis.json"
    ld "$i" genesis gentx validator 100000000000$DENOM --chain-id "$CHAIN_ID" --keyring-backend test \
      --moniker "node$i" --output-document "$(home 0)/config/gentx/gentx-node$i.json" >/dev/null 2>&1
  done
  ld 0 genesis collect-gentxs >/dev/null 2>&1
  ld 0 genesis validate >/dev/null
  for ((i = 0; i < N; i++)); do
    [ "$i" = 0 ] || cp "$g0" "$(home "$i")/config/genesis.json"
    configure "$i"
  done
}

# half DURATION: half of a Go duration in whole seconds ("60s" → "30s").
half() {
  local s=${1%s}
  case "$s" in *[!0-9]*|"") echo "testnet: TESTNET_VOTING_PERIOD=$1: give whole seconds, e.g. 60s" >&2; exit 2 ;; esac
  echo "$((s / 2))s"
}

pids=()
cleanup() {
  trap - INT TERM EXIT
  log "stopping"
  for ((k = ${#pids[@]} - 1; k >= 0; k--)); do kill -TERM "${pids[$k]}" 2>/dev/null || true; done
  wait 2>/dev/null || true
}

# start_node I: run node I in the background and wait for its RPC.
start_node() {
  local i=$1 h pid
  h=$(home "$i")
  "$BIN" start --home "$h" --log_level info --log_no_color >>"$h/node.log" 2>&1 &
  pid=$!
  pids+=("$pid")
  for _ in $(seq 1 60); do
    ld "$i" status >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || { tail -20 "$h/node.log"; echo "testnet: node$i exited" >&2; exit 1; }
    sleep 1
  done
  echo "testnet: node$i did not answer on :$(rpc "$i") within a minute (log: $h/node.log)" >&2
  exit 1
}

# wait_height I H: wait until node I has committed block H.
wait_height() {
  for _ in $(seq 1 120); do
    local h
    h=$(ld "$1" status 2>/dev/null | jq -r '.sync_info.latest_block_height' 2>/dev/null || echo 0)
    [ "${h:-0}" -ge "$2" ] 2>/dev/null && return 0
    sleep 1
  done
  echo "testnet: node$1 did not reach height $2" >&2
  exit 1
}

if [ "$MODE" = join ]; then
  # A full node that joins by state sync: it trusts a recent block of node0
  # (height and hash over RPC, as an operator would take them from a
  # validator they trust), fetches a snapshot from the validators and
  # follows blocks from there.
  [ -f "$(home 0)/config/genesis.json" ] || { echo "testnet: no network in $BASE (run make testnet first)" >&2; exit 1; }
  ld 0 status >/dev/null 2>&1 || { echo "testnet: node0 does not answer on :$(rpc 0); start the network first" >&2; exit 1; }
  need curl
  j=$N
  ports_free "$(p2p "$j")" "$(rpc "$j")" "$(grpc "$j")" "$(rest "$j")"
  rm -rf "$(home "$j")"
  ld "$j" init "node$j" --chain-id "$CHAIN_ID" --default-denom "$DENOM" >/dev/null 2>&1
  cp "$(home 0)/config/genesis.json" "$(home "$j")/config/genesis.json"
  configure "$j"
  latest=$(ld 0 status | jq -r '.sync_info.latest_block_height')
  trust=$((latest - latest % SNAPSHOTS))
  [ "$trust" -gt 0 ] || { echo "testnet: no snapshot yet (height $latest < $SNAPSHOTS); wait a little" >&2; exit 1; }
  hash=$(curl -s "http://127.0.0.1:$(rpc 0)/block?height=$trust" | jq -r '.result.block_id.hash')
  cfg=$(home "$j")/config
  toml_set "$cfg/config.toml" statesync enable true
  toml_set "$cfg/config.toml" statesync rpc_servers "\"127.0.0.1:$(rpc 0),127.0.0.1:$(rpc 1)\""
  toml_set "$cfg/config.toml" statesync trust_height "$trust"
  toml_set "$cfg/config.toml" statesync trust_hash "\"$hash\""
  toml_set "$cfg/config.toml" statesync trust_period '"168h0m0s"'
  # Its own Prometheus port; no snapshots of its own needed.
  toml_set "$cfg/config.toml" instrumentation prometheus_listen_addr "\"127.0.0.1:$(prom "$j")\""
  log "node$j joins by state sync from height $trust ($hash); RPC :$(rpc "$j") (log: $(home "$j")/node.log)"
  trap cleanup INT TERM EXIT
  start_node "$j"
  wait "${pids[0]}"
  exit 0
fi

if [ "$KEEP" = 1 ] && [ -f "$(home 0)/config/genesis.json" ]; then
  log "resuming the network in $BASE"
else
  [ "$KEEP" = 1 ] && log "--keep given but no network in $BASE: creating a fresh one"
  create
fi
[ "$MODE" = init ] && { log "homes ready in $BASE"; exit 0; }

for ((i = 0; i < N; i++)); do
  ports_free "$(p2p "$i")" "$(rpc "$i")" "$(grpc "$i")" "$(rest "$i")"
done
trap cleanup INT TERM EXIT
for ((i = 0; i < N; i++)); do
  log "starting node$i (RPC :$(rpc "$i"), log: $(home "$i")/node.log)"
  start_node "$i"
done
wait_height 0 2

if [ "$SIDECARS" = 1 ]; then
  # Each validator's verifier; its hot key is the validator's own account.
  for ((i = 0; i < N; i++)); do
    h=$(home "$i")
    if ! ld 0 q pocps verifiers -o json 2>/dev/null | jq -e --arg a "$(addr "$i" validator)" '.verifiers[]? | select(.hot_key == $a)' >/dev/null; then
      ld "$i" tx pocps register-verifier "$(addr "$i" validator)" "127.0.0.1:$(vport "$i")" \
        "$("$BIN" sidecar verifier vrf-key --home "$h")" --from validator --yes >/dev/null 2>&1
    fi
  done
  sleep 3
  for ((i = 0; i < N; i++)); do
    h=$(home "$i")
    "$BIN" sidecar verifier --home "$h" --from validator --node "tcp://127.0.0.1:$(rpc "$i")" \
      --node-grpc "127.0.0.1:$(grpc "$i")" --listen "127.0.0.1:$(vport "$i")" --metrics "127.0.0.1:$(vmetrics "$i")" \
      >>"$h/verifier.log" 2>&1 &
    pids+=("$!")
  done
  log "started $N verifier sidecars"
  h0=$(home 0)
  # One miner host, so one lease SSH server for both devices.
  SSH_NOTE=""
  if command -v sshd >/dev/null || [ -x /usr/sbin/sshd ]; then
    ports_free "$((2222 + SHIFT))"
    "$root/scripts/lease-sshd.sh" "$BASE/access" "$((2222 + SHIFT))" >"$BASE/sshd.log" 2>&1 &
    pids+=("$!")
    log "started the lease SSH server on 127.0.0.1:$((2222 + SHIFT)) (log: $BASE/sshd.log)"
  else
    SSH_NOTE="   (needs openssh-server: apt-get install -y openssh-server)"
    log "no sshd: lease access over SSH is off (apt-get install -y openssh-server)"
  fi
  if command -v ssh-keygen >/dev/null && [ ! -f "$BASE/client_ed25519" ]; then
    ssh-keygen -q -t ed25519 -N '' -C client@testnet -f "$BASE/client_ed25519"
  fi
  LOOPIN_ACCESS_DIR="$BASE/access" "$BIN" sidecar miner --home "$h0" --from miner --name gpu0 --backend cpu \
    --class rtx-4090 --stake lp --duration 1h --listen "127.0.0.1:$((9400 + SHIFT))" --metrics "127.0.0.1:$((9401 + SHIFT))" \
    --node "tcp://127.0.0.1:$(rpc 0)" --node-grpc "127.0.0.1:$(grpc 0)" \
    --access-hook "$root/scripts/access-hook.sh" >>"$BASE/miner.log" 2>&1 &
  pids+=("$!")
  LOOPIN_ACCESS_DIR="$BASE/access" "$BIN" sidecar miner --home "$h0" --from seller --name gpu1 --backend cpu \
    --class rtx-4090 --stake sell --days 1 --listen "127.0.0.1:$((9410 + SHIFT))" --metrics "127.0.0.1:$((9411 + SHIFT))" \
    --node "tcp://127.0.0.1:$(rpc 0)" --node-grpc "127.0.0.1:$(grpc 0)" \
    --access-hook "$root/scripts/access-hook.sh" >>"$BASE/seller.log" 2>&1 &
  pids+=("$!")
  log "started the miner sidecars: LP stake (miner, :$((9400 + SHIFT))) and sale (seller, :$((9410 + SHIFT)))"
fi

h0=$(home 0)
cat <<MSG

$(log "LooPIN testnet $CHAIN_ID: $N validators")
  homes:   $BASE/node0 … node$((N - 1))     (epoch $EPOCH, block time $BLOCK_TIME, 2 confirmations)
  node0:   RPC http://127.0.0.1:$(rpc 0)   REST http://127.0.0.1:$(rest 0)   gRPC 127.0.0.1:$(grpc 0)
  market:  http://127.0.0.1:$(rest 0)/market/     API doc: http://127.0.0.1:$(rest 0)/swagger/   (every node serves both)
  node i:  the same ports plus 10·i (node1 RPC :$(rpc 1))
  keys:    miner  $(addr 0 miner)   (LP stake)
           seller $(addr 0 seller)   (sale)
           client $(addr 0 client)

Try, from another terminal (Ctrl-C here stops everything; 'make testnet ARGS=--keep' resumes it).
Within a minute or two both devices are sealed and staked; then:
  alias loopind="$BIN --home $h0"
  loopind status
  loopind q staking validators -o json | jq -r '.validators[].description.moniker'
  loopind q pocps verifiers                       # one per validator
  loopind q pocps devices                         # the two devices, SEALED
  loopind q stake stakes                          # an LP stake and a sale
  loopind q pools pool rtx-4090
  loopind q pools estimate-buy rtx-4090 5m        # price, fee, total
  loopind tx pools buy-lease rtx-4090 5m <max> --from client --yes   # max: the total plus a margin
  loopind q pools leases-by-client \$(loopind keys show client -a) --node tcp://127.0.0.1:$(rpc 1)   # through node1
  loopind lease ssh 1 --from client --identity $BASE/client_ed25519 -- hostname   # log in to the leased device's host${SSH_NOTE:-}
  loopind q pocps challenges-by-device 1          # challenges spread over the verifiers
  loopind tx pools terminate-lease 1 0 --from client --yes
  loopind q rewards pending \$(loopind keys show miner -a)
  curl -s http://127.0.0.1:$(prom 0)/metrics | grep ^cometbft_consensus_height   # node metrics
  curl -s http://127.0.0.1:$(vmetrics 0)/metrics | grep ^loopin_   # verifier metrics (node i: +10·i)
Faults to try:
  kill \$(pgrep -f 'home $BASE/node$((N - 1)) ')     # stop a validator: blocks go on, its challenges are missed
  scripts/testnet.sh join                         # a full node joins by state sync (another terminal)
More: docs/operations.md ("A local testnet").

MSG

log "running (node0 and sidecar logs follow; Ctrl-C stops)"
if [ "$SIDECARS" = 1 ]; then
  tail -n 0 -F "$BASE/miner.log" "$BASE/seller.log" 2>/dev/null &
  pids+=("$!")
fi
wait "${pids[0]}"
