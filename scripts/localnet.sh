#!/usr/bin/env bash
# make localnet: a single-validator LooPIN chain in ./.localnet with a miner
# sidecar (CPU backend, tiny seal, LP stake on rtx-4090) and the validator's
# verifier sidecar, in the foreground.
#
#   scripts/localnet.sh           build, create a fresh chain, start it
#   scripts/localnet.sh --keep    build and resume the chain already in ./.localnet
#
# Demo keys (test keyring, no passphrase): validator, miner, client.
# Endpoints: CometBFT RPC :26657, gRPC :9090, REST :1317; miner sidecar :9400
# (metrics :9401), verifier sidecar :9500 (metrics :9501), the miner host's
# lease SSH server :2222 (scripts/lease-sshd.sh; needs openssh-server).
# Environment: LOCALNET_HOME (default ./.localnet), LOCALNET_EPOCH (default 30s),
# LOCALNET_BLOCK_TIME (default 1s), LOCALNET_SIDECARS=0 (node only).
# Ctrl-C stops the sidecars and the node cleanly. Logs of the sidecars:
# .localnet/miner.log, .localnet/verifier.log.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

CHAIN_ID=loopin-local-1
HOME_DIR=${LOCALNET_HOME:-$root/.localnet}
EPOCH=${LOCALNET_EPOCH:-30s}
BLOCK_TIME=${LOCALNET_BLOCK_TIME:-1s}
DENOM=uloop
BIN=$root/build/loopind
KEEP=0

for arg in "$@"; do
  case "$arg" in
    --keep) KEEP=1 ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "localnet: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

# shellcheck source=scripts/lib.sh
. "$root/scripts/lib.sh"
need go jq ssh-keygen:openssh-client
ports_free 26656 26657 9090 1317
SSH_PORT=${LOCALNET_SSH_PORT:-2222}

log "building loopind"
go build -trimpath -ldflags "${LOOPIN_LDFLAGS:-}" -o "$BIN" ./cmd/loopind

ld() { "$BIN" --home "$HOME_DIR" "$@"; }

if [ "$KEEP" = 1 ] && [ -f "$HOME_DIR/config/genesis.json" ]; then
  log "resuming the chain in $HOME_DIR"
else
  [ "$KEEP" = 1 ] && log "--keep given but no chain in $HOME_DIR: creating a fresh one"
  log "creating a fresh chain $CHAIN_ID in $HOME_DIR"
  rm -rf "$HOME_DIR"
  ld init localnet --chain-id "$CHAIN_ID" --default-denom "$DENOM" >/dev/null 2>&1

  for key in validator miner client; do
    ld keys add "$key" --keyring-backend test >/dev/null 2>&1
  done
  ld genesis add-genesis-account validator 1000000000000$DENOM --keyring-backend test
  ld genesis add-genesis-account miner 1000000000000$DENOM --keyring-backend test
  ld genesis add-genesis-account client 1000000000000$DENOM --keyring-backend test

  # Short clocks and a tiny seal (scripts/lib.sh); one confirmation, as
  # there is only one verifier.
  short_clocks "$HOME_DIR/config/genesis.json" "$EPOCH" 60s 30s 1 120s

  ld genesis gentx validator 100000000000$DENOM --chain-id "$CHAIN_ID" --keyring-backend test >/dev/null 2>&1
  ld genesis collect-gentxs >/dev/null 2>&1
  ld genesis validate >/dev/null

  cfg=$HOME_DIR/config
  toml_set "$cfg/config.toml" consensus timeout_commit "\"$BLOCK_TIME\""
  toml_set "$cfg/config.toml" consensus timeout_propose "\"$BLOCK_TIME\""
  toml_set "$cfg/config.toml" rpc laddr '"tcp://127.0.0.1:26657"'
  toml_set "$cfg/config.toml" p2p laddr '"tcp://127.0.0.1:26656"'
  toml_set "$cfg/app.toml" "" minimum-gas-prices "\"0$DENOM\""
  toml_set "$cfg/app.toml" api enable true
  toml_set "$cfg/app.toml" api address '"tcp://127.0.0.1:1317"'
  toml_set "$cfg/app.toml" api swagger true
  toml_set "$cfg/app.toml" grpc enable true
  toml_set "$cfg/app.toml" grpc address '"127.0.0.1:9090"'
  # The CLI then needs no --chain-id, --node or --keyring-backend flags.
  toml_set "$cfg/client.toml" "" chain-id "\"$CHAIN_ID\""
  toml_set "$cfg/client.toml" "" keyring-backend '"test"'
fi

addr() { ld keys show "$1" -a --keyring-backend test; }
SIDECARS=${LOCALNET_SIDECARS:-1}

log "starting the node (log: $HOME_DIR/node.log)"
"$BIN" start --home "$HOME_DIR" --log_level info --log_no_color >"$HOME_DIR/node.log" 2>&1 &
node_pid=$!
pids=("$node_pid")
cleanup() {
  trap - INT TERM EXIT
  log "stopping"
  for ((i=${#pids[@]}-1; i>=0; i--)); do kill -TERM "${pids[$i]}" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup INT TERM EXIT
for _ in $(seq 1 60); do
  ld status >/dev/null 2>&1 && break
  kill -0 "$node_pid" 2>/dev/null || { tail -20 "$HOME_DIR/node.log"; echo "localnet: the node exited" >&2; exit 1; }
  sleep 1
done

if [ "$SIDECARS" = 1 ]; then
  # The validator's verifier: its hot key is the validator's own account here.
  if ! ld q pocps verifiers -o json 2>/dev/null | grep -q '"hot_key"'; then
    ld tx pocps register-verifier "$(addr validator)" 127.0.0.1:9500 "$("$BIN" sidecar verifier vrf-key --home "$HOME_DIR")" --from validator --yes >/dev/null
    sleep 2
  fi
  log "starting the verifier sidecar (log: $HOME_DIR/verifier.log)"
  "$BIN" sidecar verifier --home "$HOME_DIR" --from validator --listen 127.0.0.1:9500 --metrics 127.0.0.1:9501 \
    >"$HOME_DIR/verifier.log" 2>&1 &
  pids+=("$!")
  # The miner host's SSH server for lease access (the access hook installs
  # each lessee's key, restricted to its lease); the client's SSH key.
  if command -v sshd >/dev/null || [ -x /usr/sbin/sshd ]; then
    ports_free "$SSH_PORT"
    log "starting the lease SSH server on 127.0.0.1:$SSH_PORT (log: $HOME_DIR/sshd.log)"
    "$root/scripts/lease-sshd.sh" "$HOME_DIR/access" "$SSH_PORT" >"$HOME_DIR/sshd.log" 2>&1 &
    pids+=("$!")
    SSH_NOTE=""
  else
    SSH_NOTE="   (needs openssh-server: apt-get install -y openssh-server, then restart the localnet)"
    log "no sshd: lease access over SSH is off (apt-get install -y openssh-server, then restart the localnet)"
  fi
  [ -f "$HOME_DIR/client_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C client@localnet -f "$HOME_DIR/client_ed25519"
  log "starting the miner sidecar: CPU backend, tiny seal, LP stake on rtx-4090 (log: $HOME_DIR/miner.log)"
  LOOPIN_ACCESS_DIR="$HOME_DIR/access" "$BIN" sidecar miner --home "$HOME_DIR" --from miner --backend cpu \
    --class rtx-4090 --stake lp --duration 1h --listen 127.0.0.1:9400 --metrics 127.0.0.1:9401 \
    --access-hook "$root/scripts/access-hook.sh" >"$HOME_DIR/miner.log" 2>&1 &
  pids+=("$!")
fi

cat <<MSG

$(log "LooPIN localnet $CHAIN_ID")
  home:    $HOME_DIR     (epoch $EPOCH, block time $BLOCK_TIME)
  RPC:     http://127.0.0.1:26657     REST: http://127.0.0.1:1317     gRPC: 127.0.0.1:9090
  market:  http://127.0.0.1:1317/market/     (prices, chart, buy calculator, devices, leases, epochs)
  API doc: http://127.0.0.1:1317/swagger/    (OpenAPI of the LooPIN modules' REST routes)
  keys:    validator $(addr validator)
           miner     $(addr miner)
           client    $(addr client)

Try, from another terminal (Ctrl-C here stops everything; 'make localnet ARGS=--keep' resumes it).
Within a minute the miner's device is sealed and staked; then:
  alias loopind="$BIN --home $HOME_DIR"
  loopind status
  loopind q pocps devices                         # the miner's device, SEALED
  loopind q stake stakes                          # its LP stake
  loopind q pools pool rtx-4090                   # H and L fall each epoch, the price stays
  loopind q pools estimate-buy rtx-4090 5m        # price, fee, total
  loopind tx pools buy-lease rtx-4090 5m <max> --from client --yes   # max: the total plus a margin (the quote rises as the pool's time runs out)
  loopind q pools leases-by-client \$(loopind keys show client -a)
  loopind lease ssh 1 --from client --identity $HOME_DIR/client_ed25519 -- nproc   # log in to the leased device's host${SSH_NOTE:-}
  loopind lease ssh 1 --from client --identity $HOME_DIR/client_ed25519           # a shell there, until the lease ends
  loopind lease report 1 --from client --yes     # "no access": the device is challenged now
  loopind q pools estimate-terminate 1
  loopind tx pools terminate-lease 1 0 --from client --yes
  loopind q pocps challenges-by-device 1          # challenges passed
  loopind q pocps score 1
  loopind sidecar transcript 2                    # a challenge's full transcript, checked against the chain
  curl -s http://127.0.0.1:9401/metrics | grep ^loopin_   # miner metrics (verifier: :9501)
  loopind q rewards pending \$(loopind keys show miner -a)
  loopind q rewards pending \$(loopind keys show validator -a)
  loopind q rewards pending \$(loopind keys show client -a)
  loopind tx rewards claim --from miner --yes
  loopind q rewards economics
  loopind q bank balances \$(loopind keys show client -a)
  loopind tx bank send client \$(loopind keys show miner -a) 1000000$DENOM --yes
More to look at:
  loopind q pools params; loopind q stake params; loopind q pocps params; loopind q rewards params
  loopind q epochs current-epoch loopin
  loopind q rewards epoch 1
  loopind q pools pools
  loopind q pools spot-price rtx-4090
  loopind q pools estimate-buy-max-impact rtx-4090 0.1    # the longest lease within 10 % price impact
  loopind q pools estimate-sell rtx-4090 24h      # what a day of a device sold into the pool pays
  loopind tx pools buy-lease rtx-4090 5m <max> --device 1 --from client --yes   # on device 1 or not at all
  loopind lease access 1 --from client --payload-file $HOME_DIR/client_ed25519.pub   # the access hook's answer, without logging in
  loopind q pools capacity rtx-4090
  loopind q pocps verifiers
  curl -s http://127.0.0.1:1317/loopin/pools/v1/params

MSG

log "running (sidecar and node logs follow; Ctrl-C stops)"
tail -n +1 -F "$HOME_DIR/miner.log" "$HOME_DIR/verifier.log" 2>/dev/null &
pids+=("$!")
wait "$node_pid"
