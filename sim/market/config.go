// Package market is LooPIN's market simulator (docs/simulation.md). It runs
// one GPU class's pool over simulated days with stochastic supply and demand
// on the chain's own rules: the pool ledger the x/pools keeper drives
// (x/pools/ledger, through its reference driver ledger.Book), x/stake's
// stateless rules (x/stake/types/rules.go: LP duration, renewal by whole
// epochs, sale length, collateral and deposit, the failed sale's split) and
// x/rewards' emission (x/rewards/keeper: MinerPot, Gamma, TMin). Nothing of
// the market's arithmetic is re-implemented here; what the simulator adds
// is the behaviour of its participants:
//
//   - LP miners join at random times over LPJoinWindow, stake LPStake,
//     renew one epoch before the end with probability LPRenew (by whole
//     epochs, no second fee), otherwise leave and stake again after a mean
//     LPReturn;
//   - sellers sell SellMinDays…SellMaxDays whole days when the spot price
//     is at least SellAbove × the reference price, and wait out the grace;
//   - clients arrive as a Poisson process whose rate falls with the price,
//     Demand × (reference / spot)^Elasticity per hour, buy a lease of a
//     log-uniform length in [LeaseMin, LeaseMax] on the device the keeper
//     would match (the idle device with the longest commitment), and
//     terminate early with probability Terminate;
//   - devices fail at FailureRate per device-day: a failure is confirmed at
//     the next residency challenge (every ChallengeInterval from the stake's
//     start), and the revenue since the last pass is clawed back.
//
// A run is deterministic for its Config (Seed included): the random
// streams are PCG, participants are walked in id order and the events in
// (time, sequence) order. Reports use floats; the market's state is the
// ledger's integers.
package market

import (
	"errors"
	"fmt"
	"time"

	"cosmossdk.io/math"

	poolstypes "github.com/loopin-project/loopin/x/pools/types"
	rewardstypes "github.com/loopin-project/loopin/x/rewards/types"
	staketypes "github.com/loopin-project/loopin/x/stake/types"
)

// ErrConfig is returned for a Config the simulator cannot run.
var ErrConfig = errors.New("invalid simulation config")

// Config is one simulation: the chain's parameters (x/pools, x/stake,
// x/rewards, as governance would set them) and the participants'
// behaviour. DefaultConfig gives every field.
type Config struct {
	// Seed selects the random streams; the same Config gives the same run.
	Seed uint64
	// Days is the simulated time, in days of 24 h.
	Days int
	// Class is the GPU class: its reference price (x/pools NewGpuClass)
	// prices the first stake into the empty pool and the demand curve.
	Class string

	// Pools are the x/pools parameters (exchange_fee, lease bounds).
	Pools poolstypes.Params
	// Stake are the x/stake parameters (staking_fee α, min_lp_duration,
	// maintenance_rate β, sale days, collateral, grace).
	Stake staketypes.Params
	// Rewards are the x/rewards parameters (epoch_emission, miner_share).
	Rewards rewardstypes.Params
	// Epoch is the length of the `loopin` epoch (rewards, renewals,
	// samples).
	Epoch time.Duration
	// ChallengeInterval is how often a device passes a residency challenge
	// (x/pocps challenge_interval × epoch); a failure is confirmed at the
	// next one.
	ChallengeInterval time.Duration

	// LPDevices is the number of LP miners, one device each.
	LPDevices int
	// LPStake is the length of each LP stake (at least min_lp_duration).
	LPStake time.Duration
	// LPJoinWindow spreads the LP miners' first stakes uniformly over
	// [0, LPJoinWindow): not everyone joins at time zero. 0 is one LP stake,
	// so that stakes end (and renew) spread evenly, not as one cohort.
	LPJoinWindow time.Duration
	// LPRenew is the probability that an LP renews its stake (by
	// ⌈LPStake/Epoch⌉ epochs, one epoch before its end) instead of letting
	// it expire.
	LPRenew float64
	// LPReturn is the mean (exponential) time before an LP whose stake
	// expired or failed stakes again; 0 stakes again at once.
	LPReturn time.Duration

	// Sellers is the number of miners that sell days instead of staking.
	Sellers int
	// SellAbove is the price, as a multiple of the reference price, from
	// which a free seller sells.
	SellAbove float64
	// SellEvery is the mean time between a free seller's looks at the
	// price (at epoch ends, each with probability epoch/SellEvery), so
	// sellers do not all sell in the same block.
	SellEvery time.Duration

	// Demand is the mean number of lease purchases per hour when the spot
	// price equals the reference price.
	Demand float64
	// Elasticity is the demand's price elasticity: the arrival rate is
	// Demand × (reference / spot)^Elasticity.
	Elasticity float64
	// LeaseMin and LeaseMax bound a lease's length (log-uniform, whole
	// minutes), within x/pools' [min_lease_duration, max_lease_duration].
	LeaseMin, LeaseMax time.Duration
	// Terminate is the probability that a client ends its lease early, at
	// a uniform time within it.
	Terminate float64

	// FailureRate is the rate at which a committed device goes offline,
	// per device-day.
	FailureRate float64

	// WarmUp is left out of the price statistics and the utilisation: the
	// LP miners' arrival over LPJoinWindow is a ramp, not the market. 0 is
	// the join window.
	WarmUp time.Duration

	// Check runs the ledger's invariants (ledger.Book.CheckInvariants)
	// after every step and stops the run at the first break.
	Check bool
}

// DefaultConfig is two months of the a100 pool under the chain's default
// parameters, with 1-hour epochs, 6-hour challenges, 200 LP miners on 7-day
// stakes (the mainnet-upgrade blog's rule) and 40 sellers.
func DefaultConfig() Config {
	return Config{
		Seed: 1, Days: 60, Class: "a100",
		Pools: poolstypes.DefaultParams(), Stake: staketypes.DefaultParams(), Rewards: rewardstypes.DefaultParams(),
		Epoch: time.Hour, ChallengeInterval: 6 * time.Hour,
		LPDevices: 200, LPStake: 7 * 24 * time.Hour, LPRenew: 0.8, LPReturn: 24 * time.Hour,
		Sellers: 40, SellAbove: 1.2, SellEvery: 12 * time.Hour,
		Demand: 8, Elasticity: 2, LeaseMin: time.Hour, LeaseMax: 72 * time.Hour, Terminate: 0.1,
		FailureRate: 0.002,
	}
}

// Validate returns ErrConfig naming the first field the simulator cannot
// run with, or the chain's own error for parameters governance could not
// set (their Validate methods).
func (c Config) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrConfig}, args...)...)
	}
	if err := c.Pools.Validate(); err != nil {
		return err
	}
	if err := c.Stake.Validate(); err != nil {
		return err
	}
	if err := c.Rewards.Validate(); err != nil {
		return err
	}
	if _, err := poolstypes.NewGpuClass(c.Class); err != nil {
		return bad("class %q: %v", c.Class, err)
	}
	switch {
	case c.Days < 1 || c.Days > 3650:
		return bad("days must be in [1, 3650], got %d", c.Days)
	case c.Epoch < time.Minute || c.Epoch%time.Second != 0:
		return bad("epoch must be whole seconds, at least 1m, got %s", c.Epoch)
	case c.ChallengeInterval < time.Minute:
		return bad("challenge interval must be at least 1m, got %s", c.ChallengeInterval)
	case c.LPDevices < 1 || c.LPDevices > 100_000:
		return bad("lp devices must be in [1, 100000], got %d", c.LPDevices)
	case c.Sellers < 0 || c.Sellers > 100_000:
		return bad("sellers must be in [0, 100000], got %d", c.Sellers)
	case c.LPJoinWindow < 0 || c.LPReturn < 0:
		return bad("lp join window and lp return must not be negative")
	case c.LPRenew < 0 || c.LPRenew > 1 || c.Terminate < 0 || c.Terminate > 1:
		return bad("lp renew and terminate are probabilities in [0, 1]")
	case c.SellEvery < c.Epoch:
		return bad("sell every %s must be at least an epoch (%s)", c.SellEvery, c.Epoch)
	case c.SellAbove <= 0:
		return bad("sell above must be a positive multiple of the reference price, got %g", c.SellAbove)
	case c.Demand < 0 || c.Demand > 100_000 || c.Elasticity < 0 || c.Elasticity > 20:
		return bad("demand must be in [0, 100000] per hour and elasticity in [0, 20]")
	case c.LeaseMin < c.Pools.MinLeaseDuration || c.LeaseMax > c.Pools.MaxLeaseDuration || c.LeaseMin > c.LeaseMax:
		return bad("leases of %s to %s must lie within x/pools' [min_lease_duration, max_lease_duration] = [%s, %s]", c.LeaseMin, c.LeaseMax, c.Pools.MinLeaseDuration, c.Pools.MaxLeaseDuration)
	case c.WarmUp < 0 || c.warmUp() >= time.Duration(c.Days)*24*time.Hour:
		return bad("warm-up %s (0: the LP join window) must be shorter than the %d simulated days", c.warmUp(), c.Days)
	case c.FailureRate < 0 || c.FailureRate > 100:
		return bad("failure rate must be in [0, 100] per device-day, got %g", c.FailureRate)
	}
	if err := c.Stake.CheckLPDuration(c.LPStake); err != nil {
		// %s, not %w: errorsmod prints its stack for %v.
		return fmt.Errorf("%w: lp stake (set min_lp_duration for a shorter one): %s", ErrConfig, err.Error())
	}
	if c.LPStake <= c.Epoch {
		return bad("lp stake %s must be longer than an epoch (%s): renewals happen one epoch before the end", c.LPStake, c.Epoch)
	}
	return nil
}

// joinWindow is LPJoinWindow, one LP stake when 0.
func (c Config) joinWindow() time.Duration {
	if c.LPJoinWindow == 0 {
		return c.LPStake
	}
	return c.LPJoinWindow
}

// warmUp is WarmUp, the join window when 0.
func (c Config) warmUp() time.Duration {
	if c.WarmUp == 0 {
		return c.joinWindow()
	}
	return c.WarmUp
}

// referencePrice returns the class's reference price, uloop per GPU-second.
func (c Config) referencePrice() math.LegacyDec {
	gc, err := poolstypes.NewGpuClass(c.Class)
	if err != nil {
		panic(err) // Validate checked it
	}
	return gc.ReferencePrice
}
