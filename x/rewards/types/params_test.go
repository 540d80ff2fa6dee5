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
		{"no client rebate", func(p *types.Params) { p.ClientRebateCap = math.LegacyZeroDec() }, ""},
		{"rebate just below the fees", func(p *types.Params) { p.ClientRebateCap = dec("0.999999999999999999") }, ""},
		{"rebate of the whole fee", func(p *types.Params) { p.ClientRebateCap = math.LegacyOneDec() }, "client_rebate_cap"},
		{"rebate above the fee", func(p *types.Params) { p.ClientRebateCap = dec("1.5") }, "client_rebate_cap"},
		{"negative rebate", func(p *types.Params) { p.ClientRebateCap = dec("-0.1") }, "client_rebate_cap"},
		{"unset rebate", func(p *types.Params) { p.ClientRebateCap = math.LegacyDec{} }, "client_rebate_cap"},
		{"zero retention", func(p *types.Params) { p.EpochRetention = 0 }, "epoch_retention"},
		{"one epoch kept", func(p *types.Params) { p.EpochRetention = 1 }, ""},
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

func TestDefaultParamsCloseWashLeasing(t *testing.T) {
	p := types.DefaultParams()
	require.Equal(t, "0.500000000000000000", p.ClientRebateCap.String())
	require.Equal(t, uint64(720), p.EpochRetention)
	require.NoError(t, types.DefaultGenesis().Validate())
}

// Genesis refuses the stream states that would fail later: an account
// whose period is missing (settling reads it), a capped account without a
// cap, ended leases below the lease cursor or in the miners' stream.
func TestGenesisValidateStreams(t *testing.T) {
	zero := math.ZeroInt()
	stream := func(id uint32) types.GenesisStream {
		return types.GenesisStream{Stream: id, State: types.Stream{Weight: zero, Accumulated: zero, Cumulative: zero, Base: zero, Withheld: zero, Period: 5, LeaseCursor: 3},
			Periods: []types.GenesisPeriod{{Period: 2, State: types.Period{Rate: zero, Cumulative: zero}}}}
	}
	account := func(since uint64) types.GenesisRewardAccount {
		return types.GenesisRewardAccount{Id: 7, State: types.RewardAccount{Weight: zero, Pending: zero, SincePeriod: since}}
	}
	cases := []struct {
		name    string
		mutate  func(*types.GenesisStream)
		wantErr string
	}{
		{"valid", func(*types.GenesisStream) {}, ""},
		{"account in a kept period", func(s *types.GenesisStream) { s.Accounts = append(s.Accounts, account(2)) }, ""},
		{"account in the open period", func(s *types.GenesisStream) { s.Accounts = append(s.Accounts, account(5)) }, ""},
		{"account in a pruned period", func(s *types.GenesisStream) { s.Accounts = append(s.Accounts, account(3)) }, "period 3 is missing"},
		{"capped without cap", func(s *types.GenesisStream) {
			a := account(5)
			a.State.Capped = true
			s.Accounts = append(s.Accounts, a)
		}, "cap_left"},
		{"duplicate period", func(s *types.GenesisStream) { s.Periods = append(s.Periods, s.Periods[0]) }, "appear once"},
		{"ended lease at the cursor", func(s *types.GenesisStream) {
			s.EndedLeases = []types.GenesisEndedLease{{Id: 3, Start: 10}, {Id: 5, Start: 12}}
		}, ""},
		{"ended lease below the cursor", func(s *types.GenesisStream) { s.EndedLeases = []types.GenesisEndedLease{{Id: 2, Start: 10}} }, "lease cursor"},
		{"ended lease twice", func(s *types.GenesisStream) {
			s.EndedLeases = []types.GenesisEndedLease{{Id: 4, Start: 10}, {Id: 4, Start: 10}}
		}, "once each"},
		{"negative withheld", func(s *types.GenesisStream) { s.State.Withheld = math.NewInt(-1) }, "withheld"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := stream(types.StreamClients)
			tc.mutate(&s)
			err := types.GenesisState{Params: types.DefaultParams(), Streams: []types.GenesisStream{s}}.Validate()
			if tc.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tc.wantErr)
		})
	}
	miners := stream(types.StreamMiners)
	miners.EndedLeases = []types.GenesisEndedLease{{Id: 3}}
	require.ErrorContains(t, types.GenesisState{Params: types.DefaultParams(), Streams: []types.GenesisStream{miners}}.Validate(), "only the clients' stream")
}
