package cmd

import (
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	sdkmath "cosmossdk.io/math"
	"github.com/spf13/cobra"

	"github.com/loopin-project/loopin/sim/market"
)

// SimulateCmd is `loopind simulate`: off-chain models that run the chain's
// own rules.
func SimulateCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "simulate",
		Short: "Simulate the market on the chain's own rules (no node needed)",
	}
	cmd.AddCommand(simulateMarketCmd())
	return cmd
}

const simulateMarketLong = `Simulates one GPU class's pool over days of simulated time, on the rules the
chain runs: the x/pools ledger (x/pools/ledger, the same code the keeper
drives), x/stake's rules (LP duration, renewal by whole epochs, sale days,
collateral and deposit, a failed sale's split) and x/rewards' emission. The
participants are modelled (docs/simulation.md):

  LP miners    --lp-devices miners join at uniform times over --lp-join-window
               (default: one stake), stake --lp-stake, renew one epoch before
               the end with probability --lp-renew (whole epochs, no second
               fee), or leave and come back after a mean --lp-return.
  sellers      --sellers miners look at the price every --sell-every on
               average and sell --sell-min-days to --sell-max-days whole days
               when the spot price is at least --sell-above x the reference.
  clients      arrive as a Poisson process of --demand purchases per hour at
               the reference price, scaled by (reference/(spot x (1 +
               exchange fee)))^--elasticity;
               each buys a log-uniform lease in [--lease-min, --lease-max] on
               the device the keeper matches (longest commitment) and ends it
               early with probability --terminate.
  failures     a device goes offline at --failure-rate per device-day; the
               failure is confirmed after its next residency challenge
               (--challenge-interval), with the keeper's clawback and, for a
               sale, the collateral's split.

A run is deterministic for its flags and --seed. It prints a summary (spot
price, volatility of the log price per epoch and per day, the daily swing,
utilisation, leases, client cost, LP and seller returns, what was burned,
the realized reward rate and T_min = alpha/(gamma-beta)) and writes to --out:
series.csv (one row per epoch), stakes.csv (one row per stake or sale),
summary.txt, price.svg and utilisation.svg (--plot-format png for PNG).

--sweep NAME=V1,V2,... reruns the simulation for each value of the flag NAME
(for --seeds seeds each) and writes sweep.csv and sweep.svg (volatility
against the value) instead; the ratio of each point to the first is printed.
A config file (--config, TOML) sets any flag by its name; the command line
wins.`

const simulateMarketExample = `  loopind simulate market --days 30 --out sim-out
  loopind simulate market --sweep lp-stake=24h,72h,168h --seeds 5 --lease-max 24h --min-lp-duration 1h --out sweep-stake
  loopind simulate market --sweep exchange-fee=0.001,0.003,0.01,0.03 --out sweep-fee
  loopind simulate market --demand 0 --sellers 0 --lp-renew 0 --lp-return 0 --staking-fee 50000000 \
      --failure-rate 0 --min-lp-duration 1h --days 10 --sweep lp-stake=4h,8h,12h,14h,15h,16h,24h --out balance`

func simulateMarketCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "market",
		Short:   "Simulate a pool's prices, utilisation and returns over simulated days",
		Long:    simulateMarketLong,
		Example: simulateMarketExample,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if p, _ := cmd.Flags().GetString("config"); p != "" {
				if err := applyConfigFile(cmd, ""); err != nil {
					return err
				}
			}
			format, err := plotFormat(cmd)
			if err != nil {
				return err
			}
			out, _ := cmd.Flags().GetString("out")
			if sweep, _ := cmd.Flags().GetString("sweep"); sweep != "" {
				return runSweep(cmd, sweep, out, format)
			}
			cfg, err := marketConfig(cmd)
			if err != nil {
				return err
			}
			if err := os.MkdirAll(out, 0o755); err != nil {
				return err
			}
			start := time.Now()
			res, err := market.Run(cfg)
			if err != nil {
				return err
			}
			if err := market.WriteSummary(cmd.OutOrStdout(), res); err != nil {
				return err
			}
			if err := writeRun(res, out, format); err != nil {
				return err
			}
			cmd.Printf("wrote %s (series.csv, stakes.csv, summary.txt, price.%s, utilisation.%s) in %s\n", out, format, format, time.Since(start).Round(time.Millisecond))
			return nil
		},
	}
	d := market.DefaultConfig()
	f := cmd.Flags()
	f.String("config", "", "TOML file setting any of these flags by name (the command line wins)")
	f.String("out", "simulation", "directory for the CSV files and plots")
	f.String("plot-format", market.FormatSVG, "plot file format: svg or png")
	f.String("sweep", "", "NAME=V1,V2,...: rerun for each value of flag NAME and plot volatility against it")
	f.Int("seeds", 1, "with --sweep: seeds per value (--seed, --seed+1, ...), averaged")
	f.Uint64("seed", d.Seed, "random seed: the same flags and seed give the same run")
	f.Int("days", d.Days, "simulated days")
	f.String("class", d.Class, "GPU class (its reference price, x/pools NewGpuClass)")
	f.String("exchange-fee", d.Pools.ExchangeFee.String(), "x/pools exchange_fee, burned on every trade")
	f.Duration("min-lease-duration", d.Pools.MinLeaseDuration, "x/pools min_lease_duration")
	f.Duration("max-lease-duration", d.Pools.MaxLeaseDuration, "x/pools max_lease_duration")
	f.String("staking-fee", d.Stake.StakingFee.String(), "x/stake staking_fee α, uloop burned per stake or sale")
	f.Duration("min-lp-duration", d.Stake.MinLpDuration, "x/stake min_lp_duration")
	f.String("maintenance-rate", d.Stake.MaintenanceRate.String(), "x/stake maintenance_rate β, uloop per GPU-second")
	f.Uint32("sell-min-days", d.Stake.SellMinDays, "x/stake sell_min_days")
	f.Uint32("sell-max-days", d.Stake.SellMaxDays, "x/stake sell_max_days")
	f.Uint32("collateral-multiplier", d.Stake.CollateralMultiplier, "x/stake collateral_multiplier")
	f.Duration("sale-grace-period", d.Stake.SaleGracePeriod, "x/stake sale_grace_period")
	f.String("epoch-emission", d.Rewards.EpochEmission.String(), "x/rewards epoch_emission, uloop per epoch")
	f.String("miner-share", d.Rewards.MinerShare.String(), "x/rewards miner_share (the other shares take the rest equally)")
	f.Duration("epoch", d.Epoch, "length of the loopin epoch (rewards, renewals, samples)")
	f.Duration("challenge-interval", d.ChallengeInterval, "time between a device's residency challenges")
	f.Int("lp-devices", d.LPDevices, "LP miners, one device each")
	f.Duration("lp-stake", d.LPStake, "length of each LP stake")
	f.Duration("lp-join-window", d.LPJoinWindow, "LP miners' first stakes are spread over this window (0: one stake)")
	f.Float64("lp-renew", d.LPRenew, "probability that an LP renews its stake instead of letting it expire")
	f.Duration("lp-return", d.LPReturn, "mean time before an LP whose stake ended or failed stakes again")
	f.Int("sellers", d.Sellers, "miners that sell whole days")
	f.Float64("sell-above", d.SellAbove, "a seller sells when spot ≥ this × the reference price")
	f.Duration("sell-every", d.SellEvery, "mean time between a free seller's looks at the price")
	f.Float64("demand", d.Demand, "lease purchases per hour at the reference price")
	f.Float64("elasticity", d.Elasticity, "price elasticity of demand: rate × (reference/(spot × (1+fee)))^elasticity")
	f.Duration("lease-min", d.LeaseMin, "shortest lease (log-uniform lengths)")
	f.Duration("lease-max", d.LeaseMax, "longest lease")
	f.Float64("terminate", d.Terminate, "probability that a client ends its lease early")
	f.Float64("failure-rate", d.FailureRate, "device failures per device-day")
	f.Duration("warm-up", d.WarmUp, "left out of the price statistics (0: the LP join window)")
	f.Bool("check", false, "check the ledger's invariants after every step (slower)")
	return cmd
}

// marketConfig reads the flags into a market.Config; a malformed number
// is an error naming its flag.
func marketConfig(cmd *cobra.Command) (market.Config, error) {
	cfg := market.DefaultConfig()
	f := cmd.Flags()
	dec := func(name string) (sdkmath.LegacyDec, error) {
		s, _ := f.GetString(name)
		v, err := sdkmath.LegacyNewDecFromStr(s)
		if err != nil {
			return v, fmt.Errorf("--%s %q: not a decimal", name, s)
		}
		return v, nil
	}
	integer := func(name string) (sdkmath.Int, error) {
		s, _ := f.GetString(name)
		v, ok := sdkmath.NewIntFromString(s)
		if !ok {
			return v, fmt.Errorf("--%s %q: not a whole number of uloop", name, s)
		}
		return v, nil
	}
	var err error
	if cfg.Pools.ExchangeFee, err = dec("exchange-fee"); err != nil {
		return cfg, err
	}
	if cfg.Stake.MaintenanceRate, err = dec("maintenance-rate"); err != nil {
		return cfg, err
	}
	if cfg.Stake.StakingFee, err = integer("staking-fee"); err != nil {
		return cfg, err
	}
	if cfg.Rewards.EpochEmission, err = integer("epoch-emission"); err != nil {
		return cfg, err
	}
	if cfg.Rewards.MinerShare, err = dec("miner-share"); err != nil {
		return cfg, err
	}
	if cfg.Rewards.MinerShare.GT(sdkmath.LegacyOneDec()) || cfg.Rewards.MinerShare.IsNegative() {
		return cfg, fmt.Errorf("--miner-share %s must be in [0, 1]", cfg.Rewards.MinerShare)
	}
	// The other three shares split the rest, the last taking the rounding,
	// so the four sum to exactly 1 (x/rewards Params.Validate).
	rest := sdkmath.LegacyOneDec().Sub(cfg.Rewards.MinerShare)
	third := rest.QuoInt64(3)
	cfg.Rewards.VerifierShare, cfg.Rewards.ClientShare = third, third
	cfg.Rewards.ValidatorShare = rest.Sub(third).Sub(third)

	cfg.Seed, _ = f.GetUint64("seed")
	cfg.Days, _ = f.GetInt("days")
	cfg.Class, _ = f.GetString("class")
	cfg.Pools.MinLeaseDuration, _ = f.GetDuration("min-lease-duration")
	cfg.Pools.MaxLeaseDuration, _ = f.GetDuration("max-lease-duration")
	cfg.Stake.MinLpDuration, _ = f.GetDuration("min-lp-duration")
	cfg.Stake.SellMinDays, _ = f.GetUint32("sell-min-days")
	cfg.Stake.SellMaxDays, _ = f.GetUint32("sell-max-days")
	cfg.Stake.CollateralMultiplier, _ = f.GetUint32("collateral-multiplier")
	cfg.Stake.SaleGracePeriod, _ = f.GetDuration("sale-grace-period")
	cfg.Epoch, _ = f.GetDuration("epoch")
	cfg.ChallengeInterval, _ = f.GetDuration("challenge-interval")
	cfg.LPDevices, _ = f.GetInt("lp-devices")
	cfg.LPStake, _ = f.GetDuration("lp-stake")
	cfg.LPJoinWindow, _ = f.GetDuration("lp-join-window")
	cfg.LPRenew, _ = f.GetFloat64("lp-renew")
	cfg.LPReturn, _ = f.GetDuration("lp-return")
	cfg.Sellers, _ = f.GetInt("sellers")
	cfg.SellAbove, _ = f.GetFloat64("sell-above")
	cfg.SellEvery, _ = f.GetDuration("sell-every")
	cfg.Demand, _ = f.GetFloat64("demand")
	cfg.Elasticity, _ = f.GetFloat64("elasticity")
	cfg.LeaseMin, _ = f.GetDuration("lease-min")
	cfg.LeaseMax, _ = f.GetDuration("lease-max")
	cfg.Terminate, _ = f.GetFloat64("terminate")
	cfg.FailureRate, _ = f.GetFloat64("failure-rate")
	cfg.WarmUp, _ = f.GetDuration("warm-up")
	cfg.Check, _ = f.GetBool("check")
	return cfg, cfg.Validate()
}

// plotFormat returns --plot-format, checked.
func plotFormat(cmd *cobra.Command) (string, error) {
	format, _ := cmd.Flags().GetString("plot-format")
	if format != market.FormatSVG && format != market.FormatPNG {
		return "", fmt.Errorf("--plot-format %q: want svg or png", format)
	}
	return format, nil
}

func writeRun(res *market.Result, out, format string) error {
	var sum strings.Builder
	if err := market.WriteSummary(&sum, res); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "summary.txt"), []byte(sum.String()), 0o644); err != nil {
		return err
	}
	for name, write := range map[string]func(*os.File, *market.Result) error{
		"series.csv": func(f *os.File, r *market.Result) error { return market.WriteSeries(f, r) },
		"stakes.csv": func(f *os.File, r *market.Result) error { return market.WriteStakes(f, r) },
	} {
		f, err := os.Create(filepath.Join(out, name))
		if err != nil {
			return err
		}
		if err := write(f, res); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	for _, p := range []struct {
		name string
		plot func(*market.Result, string) ([]byte, error)
	}{{"price", market.PlotPrice}, {"utilisation", market.PlotUtilisation}} {
		b, err := p.plot(res, format)
		if err != nil {
			return fmt.Errorf("%s plot: %w", p.name, err)
		}
		if err := os.WriteFile(filepath.Join(out, p.name+"."+format), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// sweepPoint is the mean over the seeds of one swept value.
type sweepPoint struct {
	value                              string
	x                                  float64
	volHourly, volDaily, swing, util   float64
	spot, clientCost, lpNet, sellerNet float64
	balance                            float64 // mean BalanceNet of the closed LP stakes begun after the warm-up, uloop
	stakes                             int
	tmin                               time.Duration
}

// runSweep runs the simulation for each value of one flag and writes
// sweep.csv and sweep.svg.
func runSweep(cmd *cobra.Command, sweep, out, format string) error {
	name, list, ok := strings.Cut(sweep, "=")
	fl := cmd.Flags().Lookup(name)
	if !ok || list == "" || fl == nil || name == "sweep" || name == "out" || name == "config" || name == "seeds" {
		return fmt.Errorf("--sweep %q: want NAME=V1,V2,... where NAME is a flag of `%s`", sweep, cmd.CommandPath())
	}
	seeds, _ := cmd.Flags().GetInt("seeds")
	if seeds < 1 || seeds > 1000 {
		return fmt.Errorf("--seeds %d must be in [1, 1000]", seeds)
	}
	first, _ := cmd.Flags().GetUint64("seed")
	var points []sweepPoint
	start := time.Now()
	for _, v := range strings.Split(list, ",") {
		v = strings.TrimSpace(v)
		if err := cmd.Flags().Set(name, v); err != nil {
			return fmt.Errorf("--sweep %s=%s: %w", name, v, err)
		}
		pt := sweepPoint{value: v, x: sweepX(v)}
		for k := 0; k < seeds; k++ {
			if err := cmd.Flags().Set("seed", strconv.FormatUint(first+uint64(k), 10)); err != nil {
				return err
			}
			cfg, err := marketConfig(cmd)
			if err != nil {
				return fmt.Errorf("--sweep %s=%s: %w", name, v, err)
			}
			res, err := market.Run(cfg)
			if err != nil {
				return fmt.Errorf("--sweep %s=%s, seed %d: %w", name, v, cfg.Seed, err)
			}
			s := res.Summary
			pt.volHourly += s.VolHourly / float64(seeds)
			pt.volDaily += s.VolDaily / float64(seeds)
			pt.swing += s.DailySwing / float64(seeds)
			pt.util += s.Utilisation / float64(seeds)
			pt.spot += s.SpotMean / float64(seeds)
			pt.clientCost += s.ClientCost / float64(seeds)
			pt.lpNet += s.LP.NetPerDeviceDay() / float64(seeds)
			pt.sellerNet += s.Seller.NetPerDeviceDay() / float64(seeds)
			pt.tmin = s.TMin
			var bal float64
			n := 0
			for _, st := range res.Stakes {
				// Closed LP stakes that began after the warm-up (γ is higher
				// while the LPs are still joining).
				if !st.Sale && !st.Open && !st.Failed && st.Start >= market.Start.Add(s.WarmUp).Unix() {
					bal += float64(st.BalanceNet(cfg.Stake.MaintenanceRate))
					n++
				}
			}
			if n > 0 {
				pt.balance += bal / float64(n) / float64(seeds)
			}
			pt.stakes += n
		}
		points = append(points, pt)
		cmd.PrintErrf("%s=%s: %d seeds done (%s)\n", name, v, seeds, time.Since(start).Round(time.Millisecond))
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	if err := writeSweepCSV(filepath.Join(out, "sweep.csv"), name, points); err != nil {
		return err
	}
	xs := make([]float64, len(points))
	hourly, daily, swing := make([]float64, len(points)), make([]float64, len(points)), make([]float64, len(points))
	for i, p := range points {
		xs[i], hourly[i], daily[i], swing[i] = p.x, 100*p.volHourly, 100*p.volDaily, 100*p.swing
	}
	b, err := market.PlotSweep(fmt.Sprintf("volatility against %s (%d seeds each)", name, seeds), sweepLabel(name, list), "%",
		[]market.Series{{Name: "per epoch (σ of log change)", X: xs, Y: hourly}, {Name: "per day (σ of log change)", X: xs, Y: daily},
			{Name: "daily swing (max/min − 1)", X: xs, Y: swing}}, format)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "sweep."+format), b, 0o644); err != nil {
		return err
	}
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "%-12s %10s %10s %10s %8s %9s %12s %14s %14s %16s\n", name, "vol/epoch", "vol/day", "swing/day", "util", "vs first", "spot/GPU-h", "LP net/dev-day", "seller/dev-day", "LP balance/stake")
	for _, p := range points {
		ratio := "n/a" // no price moves to compare (no market)
		if points[0].volHourly > 1e-6 {
			ratio = fmt.Sprintf("%.0f%%", 100*p.volHourly/points[0].volHourly)
		}
		fmt.Fprintf(w, "%-12s %9.2f%% %9.2f%% %9.2f%% %7.1f%% %9s %12s %14s %14s %16s\n", p.value, 100*p.volHourly, 100*p.volDaily, 100*p.swing, 100*p.util,
			ratio, market.LOOP(p.spot), market.LOOP(p.lpNet), market.LOOP(p.sellerNet), market.LOOP(p.balance))
	}
	if points[len(points)-1].tmin > 0 {
		fmt.Fprintf(w, "T_min = α/(γ−β) at the realized γ of the last point: %s\n", points[len(points)-1].tmin)
	}
	fmt.Fprintf(w, "wrote %s (sweep.csv, sweep.%s)\n", out, format)
	return nil
}

// sweepX is a swept value as a number for the plot: a duration in days, a
// number as itself, else its position.
func sweepX(v string) float64 {
	if d, err := time.ParseDuration(v); err == nil {
		return d.Hours() / 24
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		return f
	}
	return math.NaN()
}

func sweepLabel(name, list string) string {
	first, _, _ := strings.Cut(list, ",")
	if _, err := time.ParseDuration(strings.TrimSpace(first)); err == nil {
		return name + " (days)"
	}
	return name
}

func ratio(v, first float64) string {
	if first <= 1e-6 {
		return ""
	}
	return strconv.FormatFloat(v/first, 'g', 6, 64)
}

func writeSweepCSV(path, name string, points []sweepPoint) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	_ = w.Write([]string{name, "vol_per_epoch", "vol_per_day", "daily_swing", "utilisation", "vol_per_epoch_vs_first", "spot_uloop_per_gpu_hour", "client_cost_uloop_per_gpu_hour", "lp_net_uloop_per_device_day", "seller_net_uloop_per_device_day", "lp_balance_net_uloop_per_stake", "lp_stakes_closed", "t_min_seconds"})
	for _, p := range points {
		g := func(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
		_ = w.Write([]string{p.value, g(p.volHourly), g(p.volDaily), g(p.swing), g(p.util), ratio(p.volHourly, points[0].volHourly), g(p.spot), g(p.clientCost),
			g(p.lpNet), g(p.sellerNet), g(p.balance), strconv.Itoa(p.stakes), strconv.FormatInt(int64(p.tmin/time.Second), 10)})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
