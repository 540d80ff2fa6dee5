#!/usr/bin/env bash
# The market-simulator experiments of docs/simulation.md, exactly as
# documented: each writes its CSV files and plots under $OUT (default
# .simulation/), and the figures the page shows are copied to
# docs/simulation/. Deterministic: rerunning gives the same files.
#   scripts/simulation-experiments.sh            all of them (about a minute on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-.simulation}
BIN=${BIN:-build/loopind}
[ -x "$BIN" ] || go build -o "$BIN" ./cmd/loopind
mkdir -p "$OUT" docs/simulation
sim() { echo "+ loopind simulate market $*" >&2; "$BIN" simulate market "$@"; }

# 1. Two months of the a100 pool under the defaults (7-day LP stakes).
sim --out "$OUT/baseline" | tee "$OUT/baseline.txt"
cp "$OUT/baseline/price.svg" docs/simulation/baseline-price.svg
cp "$OUT/baseline/utilisation.svg" docs/simulation/baseline-utilisation.svg

# 2. The blog's claim: LP stake length against volatility, the same demand
#    (leases up to a day, which a 1-day pool can serve), 10 seeds a point.
sim --sweep lp-stake=24h,48h,72h,120h,168h,336h --seeds 10 --lease-max 24h --min-lp-duration 1h --out "$OUT/stake" | tee "$OUT/stake.txt"
cp "$OUT/stake/sweep.svg" docs/simulation/stake-volatility.svg
cp "$OUT/stake/sweep.csv" docs/simulation/stake-volatility.csv
#    One seed of each end, for the price plots.
sim --lp-stake 24h --lease-max 24h --min-lp-duration 1h --out "$OUT/stake-1d" > "$OUT/stake-1d.txt"
cp "$OUT/stake-1d/price.svg" docs/simulation/stake-1d-price.svg
sim --lp-stake 168h --lease-max 24h --min-lp-duration 1h --out "$OUT/stake-7d" > "$OUT/stake-7d.txt"
cp "$OUT/stake-7d/price.svg" docs/simulation/stake-7d-price.svg

# 3. The exchange fee, under the defaults.
sim --sweep exchange-fee=0,0.001,0.003,0.01,0.03,0.1 --seeds 10 --out "$OUT/fee" | tee "$OUT/fee.txt"
cp "$OUT/fee/sweep.csv" docs/simulation/fee.csv

# 4. The balance condition T_min = α/(γ−β): no market, 200 LPs restaking at
#    once, α = 50 LOOP, stakes around T_min.
sim --demand 0 --sellers 0 --lp-renew 0 --lp-return 0 --failure-rate 0 --staking-fee 50000000 \
	--min-lp-duration 1h --days 10 --sweep lp-stake=4h,8h,12h,14h,15h,16h,24h --out "$OUT/balance" | tee "$OUT/balance.txt"
cp "$OUT/balance/sweep.csv" docs/simulation/balance.csv
echo "figures in docs/simulation/, runs in $OUT/"
