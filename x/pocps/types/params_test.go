package types_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/math"

	"github.com/loopin-project/loopin/x/pocps/types"
)

func TestParamsValidate(t *testing.T) {
	cases := []struct {
		name    string
		mutate  func(*types.Params)
		wantErr string
	}{
		{"defaults (mainnet)", func(*types.Params) {}, ""},
		{"zero interval", func(p *types.Params) { p.ChallengeInterval = 0 }, "challenge_interval"},
		{"sub-second deadline", func(p *types.Params) { p.ChallengeDeadline = time.Millisecond }, "challenge_deadline"},
		{"zero confirmations", func(p *types.Params) { p.Confirmations = 0 }, "confirmations"},
		{"localnet single confirmation", func(p *types.Params) { p.Confirmations = 1 }, ""},
		{"zero max missed", func(p *types.Params) { p.MaxMissed = 0 }, "max_missed"},
		{"zero T0", func(p *types.Params) { p.T0 = 0 }, "t0"},
		{"zero P_limit", func(p *types.Params) { p.PLimit = 0 }, "p_limit"},
		{"P_limit above 100", func(p *types.Params) { p.PLimit = 101 }, "p_limit"},
		{"negative alpha", func(p *types.Params) { p.AlphaTime = math.LegacyNewDec(-1) }, "alpha_time"},
		{"huge beta", func(p *types.Params) { p.BetaLoyalty = math.LegacyNewDec(65) }, "beta_loyalty"},
		{"nil gamma", func(p *types.Params) { p.GammaPrivacy = math.LegacyDec{} }, "gamma_privacy"},
		{"negative delta", func(p *types.Params) { p.DeltaWork = math.LegacyNewDec(-2) }, "delta_work"},
		{"scores switched off", func(p *types.Params) {
			p.AlphaTime, p.BetaLoyalty, p.GammaPrivacy, p.DeltaWork = math.LegacyZeroDec(), math.LegacyZeroDec(), math.LegacyZeroDec(), math.LegacyZeroDec()
		}, ""},
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
	require.Equal(t, "2.303000000000000000", p.AlphaTime.String())
	require.Equal(t, "7.324000000000000000", p.BetaLoyalty.String())
	require.Equal(t, "2.303000000000000000", p.GammaPrivacy.String())
	require.Equal(t, "7.324000000000000000", p.DeltaWork.String())
	require.Equal(t, 30*24*time.Hour, p.T0)
	require.Equal(t, uint32(2), p.Confirmations)
}
