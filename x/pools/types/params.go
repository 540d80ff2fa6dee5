package types

import (
	"time"

	"cosmossdk.io/errors"
	"cosmossdk.io/math"
)

// Default x/pools parameters (mainnet).
var (
	// DefaultExchangeFee is 0.3 % of every trade, burned.
	DefaultExchangeFee = math.LegacyNewDecWithPrec(3, 3)
	// DefaultMinLeaseDuration is one hour of GPU time.
	DefaultMinLeaseDuration = time.Hour
	// DefaultMaxLeaseDuration is 30 days of GPU time.
	DefaultMaxLeaseDuration = 30 * 24 * time.Hour
	// DefaultMatchLivenessWindow is two challenge intervals of 6 h plus the
	// 10 min answer deadline, rounded up to 13 h: a device that passed its
	// last scheduled challenge, or the one before it, counts as live.
	DefaultMatchLivenessWindow = 13 * time.Hour
	// DefaultLeaseRetention keeps a closed lease queryable for 7 days.
	DefaultLeaseRetention = 7 * 24 * time.Hour
	// MaxExchangeFee bounds exchange_fee: a fee of half the trade or more is
	// a misconfiguration, not a market.
	MaxExchangeFee = math.LegacyNewDecWithPrec(5, 1)
)

// DefaultParams returns the mainnet x/pools parameters.
func DefaultParams() Params {
	return Params{
		ExchangeFee:      DefaultExchangeFee,
		MinLeaseDuration: DefaultMinLeaseDuration,
		MaxLeaseDuration: DefaultMaxLeaseDuration,

		MatchLivenessWindow: DefaultMatchLivenessWindow,
		LeaseRetention:      DefaultLeaseRetention,
	}
}

// Validate checks every parameter; it returns ErrInvalidParams wrapped with
// the name and value of the first bad one.
func (p Params) Validate() error {
	if p.ExchangeFee.IsNil() || p.ExchangeFee.IsNegative() || p.ExchangeFee.GTE(MaxExchangeFee) {
		return errors.Wrapf(ErrInvalidParams, "exchange_fee must be in [0, %s), got %s", MaxExchangeFee, p.ExchangeFee)
	}
	if p.MinLeaseDuration < time.Second {
		return errors.Wrapf(ErrInvalidParams, "min_lease_duration must be at least 1s, got %s", p.MinLeaseDuration)
	}
	if p.MinLeaseDuration%time.Second != 0 || p.MaxLeaseDuration%time.Second != 0 {
		return errors.Wrapf(ErrInvalidParams, "lease durations must be whole seconds, got %s and %s", p.MinLeaseDuration, p.MaxLeaseDuration)
	}
	if p.MaxLeaseDuration < p.MinLeaseDuration {
		return errors.Wrapf(ErrInvalidParams, "max_lease_duration %s is below min_lease_duration %s", p.MaxLeaseDuration, p.MinLeaseDuration)
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"match_liveness_window", p.MatchLivenessWindow}, {"lease_retention", p.LeaseRetention}} {
		if d.v < time.Second || d.v%time.Second != 0 {
			return errors.Wrapf(ErrInvalidParams, "%s must be whole seconds, at least 1s, got %s", d.name, d.v)
		}
	}
	return nil
}
