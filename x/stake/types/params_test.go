package types_test

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	sdkmath "cosmossdk.io/math"

	"github.com/loopin-project/loopin/x/stake/types"
)

func TestParamsValidate(t *testing.T) {
	cases := []struct {
		name    string
		mutate  func(*types.Params)
		wantErr string
	}{
		{"defaults (mainnet)", func(*types.Params) {}, ""},
		{"free staking", func(p *types.Params) { p.StakingFee = sdkmath.ZeroInt() }, ""},
		{"negative fee", func(p *types.Params) { p.StakingFee = sdkmath.NewInt(-1) }, "staking_fee"},
		{"nil fee", func(p *types.Params) { p.StakingFee = sdkmath.Int{} }, "staking_fee"},
		{"zero LP duration", func(p *types.Params) { p.MinLpDuration = 0 }, "min_lp_duration"},
		{"fractional LP duration", func(p *types.Params) { p.MinLpDuration = time.Hour + time.Nanosecond }, "min_lp_duration"},
		{"zero sale days", func(p *types.Params) { p.SellMinDays = 0 }, "sell_min_days"},
		{"max below min days", func(p *types.Params) { p.SellMinDays, p.SellMaxDays = 3, 2 }, "sell_max_days"},
		{"one-day sales only", func(p *types.Params) { p.SellMinDays, p.SellMaxDays = 1, 1 }, ""},
		{"no collateral", func(p *types.Params) { p.CollateralMultiplier = 0 }, "collateral_multiplier"},
		{"negative maintenance", func(p *types.Params) { p.MaintenanceRate = sdkmath.LegacyNewDec(-1) }, "maintenance_rate"},
		{"zero day", func(p *types.Params) { p.DayLength = 0 }, "day_length"},
		{"localnet minute days", func(p *types.Params) { p.DayLength = time.Minute; p.MinLpDuration = 5 * time.Minute }, ""},
		{"sales longer than MaxCommitment", func(p *types.Params) { p.SellMaxDays, p.DayLength = 3651, 24*time.Hour }, "sell_max_days × day_length"},
		{"sales of overflowing length", func(p *types.Params) { p.SellMaxDays, p.DayLength = 1<<31, 1<<20*time.Second }, "sell_max_days × day_length"},
		{"no grace", func(p *types.Params) { p.SaleGracePeriod = 0 }, "sale_grace_period"},
		{"negative grace", func(p *types.Params) { p.SaleGracePeriod = -time.Hour }, "sale_grace_period"},
		{"fractional grace", func(p *types.Params) { p.SaleGracePeriod = time.Hour + time.Millisecond }, "sale_grace_period"},
		{"grace above 30 days", func(p *types.Params) { p.SaleGracePeriod = types.MaxSaleGracePeriod + time.Second }, "sale_grace_period"},
		{"grace of 30 days", func(p *types.Params) { p.SaleGracePeriod = types.MaxSaleGracePeriod }, ""},
		{"localnet grace", func(p *types.Params) { p.SaleGracePeriod = 3 * time.Minute }, ""},
		{"no retention", func(p *types.Params) { p.StakeRetention = 0 }, "stake_retention"},
		{"fractional retention", func(p *types.Params) { p.StakeRetention = time.Hour + 1 }, "stake_retention"},
		{"retention above a year", func(p *types.Params) { p.StakeRetention = types.MaxStakeRetention + time.Second }, "stake_retention"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := types.DefaultParams()
			tc.mutate(&p)
			err := p.Validate()
			if tc.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, types.ErrInvalidParams)
			require.ErrorContains(t, err, tc.wantErr)
			require.ErrorIs(t, types.GenesisState{Params: p}.Validate(), types.ErrInvalidParams)
		})
	}
}

func TestDefaultsAreMainnet(t *testing.T) {
	p := types.DefaultParams()
	require.Equal(t, 7*24*time.Hour, p.MinLpDuration)
	require.Equal(t, uint32(1), p.SellMinDays)
	require.Equal(t, uint32(7), p.SellMaxDays)
	require.Equal(t, uint32(100), p.CollateralMultiplier)
	require.Equal(t, 24*time.Hour, p.DayLength)
	require.Equal(t, 7*time.Hour, p.SaleGracePeriod)
	require.Equal(t, 168*time.Hour, p.StakeRetention)
	// The rule sale_grace_period ≥ challenge_interval × epoch + deadline
	// with x/pocps' defaults (6 epochs of 1 h, 10 min).
	require.GreaterOrEqual(t, p.SaleGracePeriod, types.MinSaleGracePeriod(6, time.Hour, 10*time.Minute))
}

func TestMinSaleGracePeriod(t *testing.T) {
	const maxDuration = time.Duration(1<<63 - 1)
	require.Equal(t, 6*time.Hour+10*time.Minute, types.MinSaleGracePeriod(6, time.Hour, 10*time.Minute))
	require.Equal(t, 150*time.Second, types.MinSaleGracePeriod(1, 30*time.Second, 120*time.Second), "the localnet's")
	require.Equal(t, maxDuration, types.MinSaleGracePeriod(math.MaxUint32, maxDuration/2, 0), "saturates, no overflow")
	require.Equal(t, maxDuration, types.MinSaleGracePeriod(1, maxDuration, time.Second), "saturates, no overflow")
	require.Equal(t, maxDuration, types.MinSaleGracePeriod(1, -time.Second, 0))
}

func TestGenesisValidateCommitments(t *testing.T) {
	now := time.Unix(1_700_000_000, 0).UTC()
	stake := func(id, device uint64, kind types.StakeKind, status types.StakeStatus) types.Stake {
		return types.Stake{Id: id, DeviceId: device, Kind: kind, Status: status, End: now, FeeBurned: sdkmath.ZeroInt(),
			Injected: sdkmath.ZeroInt(), Collateral: sdkmath.ZeroInt(), Deposit: sdkmath.ZeroInt(), Payout: sdkmath.ZeroInt()}
	}
	grace := stake(1, 7, types.STAKE_KIND_SALE, types.STAKE_STATUS_GRACE)
	grace.ReleaseAt = now.Add(time.Hour)
	ok := func(stakes ...types.Stake) error {
		return types.GenesisState{Params: types.DefaultParams(), Stakes: stakes, NextStakeId: 10}.Validate()
	}
	require.NoError(t, ok(grace))
	require.NoError(t, ok(grace, stake(2, 7, types.STAKE_KIND_LP, types.STAKE_STATUS_EXPIRED)))
	require.ErrorContains(t, ok(grace, stake(2, 7, types.STAKE_KIND_LP, types.STAKE_STATUS_ACTIVE)), "two active stakes",
		"a device in a sale's grace is still committed")
	lpGrace := grace
	lpGrace.Kind = types.STAKE_KIND_LP
	require.ErrorContains(t, ok(lpGrace), "only a sale has a grace")
	early := grace
	early.ReleaseAt = now.Add(-time.Second)
	require.ErrorContains(t, ok(early), "only a sale has a grace")
	unknown := grace
	unknown.Status = 9
	require.ErrorContains(t, ok(unknown), "no valid status")
}
