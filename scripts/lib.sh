# Shell functions shared by scripts/localnet.sh and scripts/testnet.sh; source it.

log() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }

# need TOOL[:PACKAGE]...: stop with the Debian package to install (PACKAGE,
# default TOOL) when a tool is missing.
need() {
  for spec in "$@"; do
    tool=${spec%%:*} pkg=${spec#*:}
    command -v "$tool" >/dev/null || {
      echo "$(basename "$0"): '$tool' is required but not installed (Debian: apt-get install -y $pkg)" >&2
      exit 1
    }
  done
}

# port_free PORT...: stop when one of the ports is taken on 127.0.0.1.
ports_free() {
  for port in "$@"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$(basename "$0"): port $port is already in use (another localnet or testnet running?); stop it first" >&2
      exit 1
    fi
  done
}

# toml_set FILE SECTION KEY VALUE: set KEY = VALUE inside [SECTION] ("" = top level).
toml_set() {
  local file=$1 section=$2 key=$3 value=$4 tmp
  tmp=$(mktemp)
  awk -v sec="$section" -v key="$key" -v val="$value" '
    /^\[/ { cur = substr($0, 2, length($0) - 2) }
    cur == sec && $0 ~ "^" key " *=" && !done { print key " = " val; done = 1; next }
    { print }
  ' "$file" >"$tmp" && mv "$tmp" "$file"
}

# short_clocks GENESIS EPOCH VOTING EXPEDITED CONFIRMATIONS DEADLINE: the local
# networks' genesis parameters, so that effects show within seconds: the
# epoch, gov voting (the expedited period must be shorter), a challenge every epoch, CONFIRMATIONS failed reports
# confirm a failure; every pool seals tiny (proof.TinyParams: 32 KiB) so a
# CPU miner seals at once; an LP stake lasts at least 10 minutes, a sold
# "day" is 2 minutes, a sale's collateral comes back 5 minutes after its end
# (the grace must be ≥ challenge_interval × epoch + challenge_deadline: keep
# it so with a longer epoch), ended stakes are pruned after an hour and a
# lease lasts 1 minute to 1 day, so a whole stake, sale and lease life cycle
# fits in minutes (docs/params.md).
short_clocks() {
  local genesis=$1
  jq --arg epoch "$2" --arg voting "$3" --arg expedited "$4" --argjson confirmations "$5" --arg deadline "$6" '
      .app_state.epochs.epochs[0].duration = $epoch
    | .app_state.gov.params.voting_period = $voting
    | .app_state.gov.params.expedited_voting_period = $expedited
    | .app_state.gov.params.max_deposit_period = "60s"
    | .app_state.pocps.params.confirmations = $confirmations
    | .app_state.pocps.params.challenge_interval = 1
    | .app_state.pocps.params.challenge_deadline = $deadline
    | .app_state.pocps.params.key_window = 1000
    | .app_state.pocps.params.report_cooldown = "10s"
    | .app_state.stake.params.min_lp_duration = "600s"
    | .app_state.stake.params.day_length = "120s"
    | .app_state.stake.params.sale_grace_period = "300s"
    | .app_state.stake.params.stake_retention = "3600s"
    | .app_state.pools.params.min_lease_duration = "60s"
    | .app_state.pools.params.max_lease_duration = "86400s"
    | .app_state.pools.gpu_classes |= map(.seal = {"labels": "1024", "layers": 3, "parents": 6, "samples": 8,
        "walks": 64, "steps": 8, "gemm_rows": 32, "gemm_dim": 64, "rounds": 2})
  ' "$genesis" >"$genesis.tmp" && mv "$genesis.tmp" "$genesis"
}
