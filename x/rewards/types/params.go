package types

import (
	"cosmossdk.io/errors"
	"cosmossdk.io/math"
)

// Default x/rewards parameters.
var (
	// DefaultEpochEmission is 1000 LOOP (10^9 uloop) per epoch.
	DefaultEpochEmission = math.NewInt(1_000_000_000)
	// DefaultDecayRate shrinks the emission by 10 % per decay step.
	DefaultDecayRate = math.LegacyNewDecWithPrec(1, 1)
	// DefaultMinerShare is 70 % of each epoch's emission.
	DefaultMinerShare = math.LegacyNewDecWithPrec(70, 2)
	// DefaultVerifierShare is 10 %.
	DefaultVerifierShare = math.LegacyNewDecWithPrec(10, 2)
	// DefaultClientShare is 10 %.
	DefaultClientShare = math.LegacyNewDecWithPrec(10, 2)
	// DefaultValidatorShare is 10 %, sent to the fee collector.
	DefaultValidatorShare = math.LegacyNewDecWithPrec(10, 2)
	// DefaultClientRebateCap lets a lease earn from the clients' share at
	// most half the exchange fees it burned.
	DefaultClientRebateCap = math.LegacyNewDecWithPrec(5, 1)
)

const (
	// DefaultDecayInterval is one year of 1-hour epochs.
	DefaultDecayInterval = 365 * 24
	// DefaultEpochRetention keeps 30 days of 1-hour epoch records.
	DefaultEpochRetention = 30 * 24
)

// DefaultParams returns the mainnet x/rewards parameters.
func DefaultParams() Params {
	return Params{
		EpochEmission:   DefaultEpochEmission,
		DecayRate:       DefaultDecayRate,
		DecayInterval:   DefaultDecayInterval,
		MinerShare:      DefaultMinerShare,
		VerifierShare:   DefaultVerifierShare,
		ClientShare:     DefaultClientShare,
		ValidatorShare:  DefaultValidatorShare,
		ClientRebateCap: DefaultClientRebateCap,
		EpochRetention:  DefaultEpochRetention,
	}
}

// Validate checks every parameter; it returns ErrInvalidParams wrapped with
// the name and value of the first bad one.
func (p Params) Validate() error {
	if p.EpochEmission.IsNil() || p.EpochEmission.IsNegative() {
		return errors.Wrapf(ErrInvalidParams, "epoch_emission must be a non-negative amount of uloop, got %s", p.EpochEmission)
	}
	if p.DecayRate.IsNil() || p.DecayRate.IsNegative() || p.DecayRate.GTE(math.LegacyOneDec()) {
		return errors.Wrapf(ErrInvalidParams, "decay_rate must be in [0, 1), got %s", p.DecayRate)
	}
	if p.DecayInterval == 0 {
		return errors.Wrapf(ErrInvalidParams, "decay_interval must be at least 1 epoch")
	}
	sum := math.LegacyZeroDec()
	for _, s := range []struct {
		name string
		v    math.LegacyDec
	}{
		{"miner_share", p.MinerShare},
		{"verifier_share", p.VerifierShare},
		{"client_share", p.ClientShare},
		{"validator_share", p.ValidatorShare},
	} {
		if s.v.IsNil() || s.v.IsNegative() || s.v.GT(math.LegacyOneDec()) {
			return errors.Wrapf(ErrInvalidParams, "%s must be in [0, 1], got %s", s.name, s.v)
		}
		sum = sum.Add(s.v)
	}
	if !sum.Equal(math.LegacyOneDec()) {
		return errors.Wrapf(ErrInvalidParams, "miner_share + verifier_share + client_share + validator_share must be 1, got %s", sum)
	}
	// Below 1, a lease never earns back the fees it burned: wash leasing
	// one's own device cannot pay (docs/rewards.md).
	if p.ClientRebateCap.IsNil() || p.ClientRebateCap.IsNegative() || p.ClientRebateCap.GTE(math.LegacyOneDec()) {
		return errors.Wrapf(ErrInvalidParams, "client_rebate_cap must be in [0, 1), got %s", p.ClientRebateCap)
	}
	if p.EpochRetention == 0 {
		return errors.Wrapf(ErrInvalidParams, "epoch_retention must be at least 1 epoch")
	}
	return nil
}
