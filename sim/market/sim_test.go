package market_test

import (
	"testing"
	"time"

	"cosmossdk.io/math"
	"github.com/stretchr/testify/require"

	"github.com/loopin-project/loopin/sim/market"
	rewardskeeper "github.com/loopin-project/loopin/x/rewards/keeper"
	staketypes "github.com/loopin-project/loopin/x/stake/types"
)

// small is a scaled-down market that still reaches every rule: 40 LPs, 12
// sellers, failures frequent enough to break leases and sales.
func small() market.Config {
	cfg := market.DefaultConfig()
	cfg.Days, cfg.LPDevices, cfg.Sellers, cfg.Demand = 20, 40, 12, 2
	cfg.LPStake, cfg.Stake.MinLpDuration = 72*time.Hour, time.Hour
	cfg.FailureRate = 0.05
	return cfg
}

func TestRunIsDeterministicForASeed(t *testing.T) {
	a, err := market.Run(small())
	require.NoError(t, err)
	b, err := market.Run(small())
	require.NoError(t, err)
	require.Equal(t, a, b, "the same config and seed give the same run")

	other := small()
	other.Seed = 2
	c, err := market.Run(other)
	require.NoError(t, err)
	require.NotEqual(t, a.Samples, c.Samples, "another seed is another market")
}

// TestRunKeepsTheLedgerInvariants runs the chain's ledger with its
// invariants checked after every step (as FuzzLedger does) through every
// rule the simulator drives, and checks the run reached them.
func TestRunKeepsTheLedgerInvariants(t *testing.T) {
	cfg := small()
	cfg.Check = true
	cfg.Terminate = 0.3
	res, err := market.Run(cfg)
	require.NoError(t, err)
	s := res.Summary
	require.Positive(t, s.Leases)
	require.Positive(t, s.Terminated, "early terminations")
	require.Positive(t, s.Broken, "leases broken by a failure")
	require.Positive(t, s.Seller.Commitments, "sales")
	require.Positive(t, s.Seller.Failed, "failed sales")
	require.Positive(t, s.LP.Failed, "failed LP stakes")
	require.Positive(t, s.Collateral, "a failed sale burns collateral and deposit")
	require.Positive(t, s.ExchangeFees)
	renewals := 0
	for _, st := range res.Stakes {
		renewals += st.Renewals
		require.LessOrEqual(t, st.Start, st.End)
	}
	require.Positive(t, renewals, "LP renewals")
	require.Equal(t, int64(len(res.Stakes))*cfg.Stake.StakingFee.Int64(), s.StakingFees, "α is burned once per stake or sale, not per renewal")
	require.Len(t, res.Samples, cfg.Days*24, "one sample per epoch")
	for _, smp := range res.Samples {
		require.LessOrEqual(t, smp.Leased, smp.Committed)
		require.LessOrEqual(t, smp.Committed, cfg.LPDevices+cfg.Sellers, "a device is committed once at a time")
	}
}

// TestLongerLPStakesLowerVolatility is the blog's experiment scaled down:
// under the same demand (leases up to a day, so the 1-day pool can serve
// them), 7-day LP stakes make a deeper pool whose price moves less, by
// every measure.
func TestLongerLPStakesLowerVolatility(t *testing.T) {
	run := func(stake time.Duration, seed uint64) market.Summary {
		cfg := market.DefaultConfig()
		cfg.Seed, cfg.Days, cfg.LPDevices, cfg.Sellers = seed, 30, 60, 12
		cfg.Demand, cfg.LeaseMax = 2.5, 24*time.Hour
		cfg.LPStake, cfg.Stake.MinLpDuration = stake, time.Hour
		res, err := market.Run(cfg)
		require.NoError(t, err)
		return res.Summary
	}
	for _, seed := range []uint64{1, 2} {
		day, week := run(24*time.Hour, seed), run(7*24*time.Hour, seed)
		t.Logf("seed %d: per epoch %.2f%% → %.2f%%, per day %.2f%% → %.2f%%, swing %.2f%% → %.2f%%", seed,
			100*day.VolHourly, 100*week.VolHourly, 100*day.VolDaily, 100*week.VolDaily, 100*day.DailySwing, 100*week.DailySwing)
		require.Less(t, week.VolHourly, day.VolHourly/2, "seed %d", seed)
		require.Less(t, week.VolDaily, day.VolDaily, "seed %d", seed)
		require.Less(t, week.DailySwing, day.DailySwing/2, "seed %d", seed)
	}
}

// TestBalanceCondition: with no market (no leases, no sellers) an LP's
// return is its rewards less α, and whitepaper §5's T_min = α/(γ−β) at the
// realized γ (x/rewards Gamma with the committed devices, what `loopind q
// rewards economics` reports) separates the stakes that lose from those
// that gain.
func TestBalanceCondition(t *testing.T) {
	base := market.DefaultConfig()
	base.Days, base.LPDevices, base.Sellers, base.Demand, base.FailureRate = 6, 50, 0, 0, 0
	base.LPRenew, base.LPReturn = 0, 0
	base.Stake.StakingFee, base.Stake.MinLpDuration = math.NewInt(100_000_000), time.Hour
	gamma := rewardskeeper.Gamma(base.Rewards, 1, uint64(base.LPDevices), 3600)
	tmin, ok := rewardskeeper.TMin(base.Stake.StakingFee, base.Stake.MaintenanceRate, gamma)
	require.True(t, ok)
	require.Greater(t, tmin, int64(3*3600), "T_min is several epochs here")

	for _, c := range []struct {
		stake time.Duration
		gains bool
	}{{time.Duration(tmin-3600) * time.Second, false}, {time.Duration(tmin+3600) * time.Second, true}} {
		cfg := base
		cfg.LPStake = c.stake.Truncate(time.Second)
		res, err := market.Run(cfg)
		require.NoError(t, err)
		require.InDelta(t, gamma.MustFloat64(), res.Summary.Gamma, gamma.MustFloat64()*1e-6, "realized γ after the warm-up")
		require.InDelta(t, float64(tmin), res.Summary.TMin.Seconds(), 1)
		n := 0
		for _, st := range res.Stakes {
			if st.Open || st.Start < market.Start.Add(res.Summary.WarmUp).Unix() {
				continue
			}
			n++
			require.Equal(t, c.gains, st.BalanceNet(cfg.Stake.MaintenanceRate) > 0, "a %s stake (T_min %ds): balance %d uloop", cfg.LPStake, tmin, st.BalanceNet(cfg.Stake.MaintenanceRate))
			require.InDelta(t, st.Injected, st.Payout, 2, "without trades the pool returns the injection, up to rounding")
		}
		require.Positive(t, n)
	}
}

func TestConfigErrorsAreClear(t *testing.T) {
	for name, c := range map[string]struct {
		edit func(*market.Config)
		want string
	}{
		"stake below min_lp_duration": {func(c *market.Config) { c.LPStake = time.Hour }, "min_lp_duration"},
		"unknown class":               {func(c *market.Config) { c.Class = "gtx-480" }, "class"},
		"lease beyond the pool's max": {func(c *market.Config) { c.LeaseMax = 60 * 24 * time.Hour }, "max_lease_duration"},
		"probability above 1":         {func(c *market.Config) { c.LPRenew = 1.5 }, "probabilities"},
		"warm-up longer than the run": {func(c *market.Config) { c.WarmUp = 90 * 24 * time.Hour }, "warm-up"},
	} {
		t.Run(name, func(t *testing.T) {
			cfg := market.DefaultConfig()
			c.edit(&cfg)
			_, err := market.Run(cfg)
			require.ErrorIs(t, err, market.ErrConfig)
			require.ErrorContains(t, err, c.want)
		})
	}
	cfg := market.DefaultConfig()
	cfg.Stake.CollateralMultiplier = 0
	_, err := market.Run(cfg)
	require.ErrorIs(t, err, staketypes.ErrInvalidParams, "the chain's own parameter checks")
}

func TestLOOPFormatsForPeople(t *testing.T) {
	require.Equal(t, "1,234.5 LOOP", market.LOOP(1_234_500_000))
	require.Equal(t, "0.022464 LOOP", market.LOOP(22_464))
	require.Equal(t, "-3 LOOP", market.LOOP(-3_000_000))
	require.Equal(t, "0 LOOP", market.LOOP(0))
}
