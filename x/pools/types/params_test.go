package types_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/math"

	"github.com/loopin-project/loopin/x/pools/types"
)

func TestParamsValidate(t *testing.T) {
	cases := []struct {
		name    string
		mutate  func(*types.Params)
		wantErr string
	}{
		{"defaults", func(*types.Params) {}, ""},
		{"zero fee", func(p *types.Params) { p.ExchangeFee = math.LegacyZeroDec() }, ""},
		{"negative fee", func(p *types.Params) { p.ExchangeFee = math.LegacyNewDec(-1) }, "exchange_fee"},
		{"fee of half the trade", func(p *types.Params) { p.ExchangeFee = math.LegacyNewDecWithPrec(5, 1) }, "exchange_fee"},
		{"nil fee", func(p *types.Params) { p.ExchangeFee = math.LegacyDec{} }, "exchange_fee"},
		{"zero min lease", func(p *types.Params) { p.MinLeaseDuration = 0 }, "min_lease_duration"},
		{"fractional seconds", func(p *types.Params) { p.MaxLeaseDuration = time.Hour + time.Millisecond }, "whole seconds"},
		{"max below min", func(p *types.Params) { p.MaxLeaseDuration = p.MinLeaseDuration - time.Second }, "max_lease_duration"},
		{"max equals min", func(p *types.Params) { p.MaxLeaseDuration = p.MinLeaseDuration }, ""},
		{"zero liveness window", func(p *types.Params) { p.MatchLivenessWindow = 0 }, "match_liveness_window"},
		{"fractional liveness window", func(p *types.Params) { p.MatchLivenessWindow = time.Hour + time.Millisecond }, "match_liveness_window"},
		{"one-second liveness window", func(p *types.Params) { p.MatchLivenessWindow = time.Second }, ""},
		{"zero retention", func(p *types.Params) { p.LeaseRetention = 0 }, "lease_retention"},
		{"negative retention", func(p *types.Params) { p.LeaseRetention = -time.Hour }, "lease_retention"},
		{"fractional retention", func(p *types.Params) { p.LeaseRetention = 1500 * time.Millisecond }, "lease_retention"},
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
