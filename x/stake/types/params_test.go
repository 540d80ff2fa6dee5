package types_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/math"

	"github.com/loopin-project/loopin/x/stake/types"
)

func TestParamsValidate(t *testing.T) {
	cases := []struct {
		name    string
		mutate  func(*types.Params)
		wantErr string
	}{
		{"defaults (mainnet)", func(*types.Params) {}, ""},
		{"free staking", func(p *types.Params) { p.StakingFee = math.ZeroInt() }, ""},
		{"negative fee", func(p *types.Params) { p.StakingFee = math.NewInt(-1) }, "staking_fee"},
		{"nil fee", func(p *types.Params) { p.StakingFee = math.Int{} }, "staking_fee"},
		{"zero LP duration", func(p *types.Params) { p.MinLpDuration = 0 }, "min_lp_duration"},
		{"fractional LP duration", func(p *types.Params) { p.MinLpDuration = time.Hour + time.Nanosecond }, "min_lp_duration"},
		{"zero sale days", func(p *types.Params) { p.SellMinDays = 0 }, "sell_min_days"},
		{"max below min days", func(p *types.Params) { p.SellMinDays, p.SellMaxDays = 3, 2 }, "sell_max_days"},
		{"one-day sales only", func(p *types.Params) { p.SellMinDays, p.SellMaxDays = 1, 1 }, ""},
		{"no collateral", func(p *types.Params) { p.CollateralMultiplier = 0 }, "collateral_multiplier"},
		{"negative maintenance", func(p *types.Params) { p.MaintenanceRate = math.LegacyNewDec(-1) }, "maintenance_rate"},
		{"zero day", func(p *types.Params) { p.DayLength = 0 }, "day_length"},
		{"localnet minute days", func(p *types.Params) { p.DayLength = time.Minute; p.MinLpDuration = 5 * time.Minute }, ""},
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
}
