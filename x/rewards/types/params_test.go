package types_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/math"

	"github.com/loopin-project/loopin/x/rewards/types"
)

func TestParamsValidate(t *testing.T) {
	dec := func(s string) math.LegacyDec { return math.LegacyMustNewDecFromStr(s) }
	cases := []struct {
		name    string
		mutate  func(*types.Params)
		wantErr string
	}{
		{"defaults", func(*types.Params) {}, ""},
		{"no emission", func(p *types.Params) { p.EpochEmission = math.ZeroInt() }, ""},
		{"negative emission", func(p *types.Params) { p.EpochEmission = math.NewInt(-5) }, "epoch_emission"},
		{"decay of 100 %", func(p *types.Params) { p.DecayRate = math.LegacyOneDec() }, "decay_rate"},
		{"negative decay", func(p *types.Params) { p.DecayRate = dec("-0.1") }, "decay_rate"},
		{"no decay", func(p *types.Params) { p.DecayRate = math.LegacyZeroDec() }, ""},
		{"zero decay interval", func(p *types.Params) { p.DecayInterval = 0 }, "decay_interval"},
		{"shares sum above 1", func(p *types.Params) { p.MinerShare = dec("0.71") }, "must be 1"},
		{"shares sum below 1", func(p *types.Params) { p.ClientShare = dec("0.05") }, "must be 1"},
		{"negative share", func(p *types.Params) { p.VerifierShare, p.MinerShare = dec("-0.1"), dec("0.9") }, "verifier_share"},
		{"share above 1", func(p *types.Params) {
			p.MinerShare, p.VerifierShare, p.ClientShare, p.ValidatorShare = dec("1.2"), dec("-0.2"), math.LegacyZeroDec(), math.LegacyZeroDec()
		}, "miner_share"},
		{"all to miners", func(p *types.Params) {
			p.MinerShare, p.VerifierShare, p.ClientShare, p.ValidatorShare = math.LegacyOneDec(), math.LegacyZeroDec(), math.LegacyZeroDec(), math.LegacyZeroDec()
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
