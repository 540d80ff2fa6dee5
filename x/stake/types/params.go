package types

import (
	"time"

	"cosmossdk.io/errors"
	"cosmossdk.io/math"
)

// Default x/stake parameters: the mainnet-upgrade blog's rules.
var (
	// DefaultStakingFee is 1 LOOP (10^6 uloop) burned per stake or sale.
	DefaultStakingFee = math.NewInt(1_000_000)
	// DefaultMinLPDuration is 7 days.
	DefaultMinLPDuration = 7 * 24 * time.Hour
	// DefaultMaintenanceRate is 0.001 uloop per GPU-second of a sale
	// (3.6 uloop per GPU-hour).
	DefaultMaintenanceRate = math.LegacyNewDecWithPrec(1, 3)
)

const (
	// DefaultSellMinDays is the shortest sale, 1 day.
	DefaultSellMinDays = 1
	// DefaultSellMaxDays is the longest sale, 7 days.
	DefaultSellMaxDays = 7
	// DefaultCollateralMultiplier locks 100× the spot value of sold time.
	DefaultCollateralMultiplier = 100
	// DefaultDayLength is one calendar day.
	DefaultDayLength = 24 * time.Hour
	// DefaultSaleGracePeriod keeps a sale's collateral and deposit locked
	// 7 hours after its end: x/pocps' default challenge_interval (6 epochs
	// of 1 h) plus its challenge_deadline (10 min), rounded up to the hour.
	DefaultSaleGracePeriod = 7 * time.Hour
	// DefaultStakeRetention keeps an ended certificate queryable 7 days.
	DefaultStakeRetention = 7 * 24 * time.Hour

	// MaxSaleGracePeriod bounds sale_grace_period: a seller's collateral
	// is never locked more than 30 days past the sale.
	MaxSaleGracePeriod = 30 * 24 * time.Hour
	// MaxStakeRetention bounds stake_retention (one year).
	MaxStakeRetention = 365 * 24 * time.Hour
	// MaxCommitment bounds how far in the future a commitment may end,
	// from the block time: an LP stake or a renewal running past it is
	// refused (ErrInvalidDuration). 10 years of 365 days.
	MaxCommitment = 10 * 365 * 24 * time.Hour
)

// DefaultParams returns the mainnet x/stake parameters.
func DefaultParams() Params {
	return Params{
		StakingFee:           DefaultStakingFee,
		MinLpDuration:        DefaultMinLPDuration,
		SellMinDays:          DefaultSellMinDays,
		SellMaxDays:          DefaultSellMaxDays,
		CollateralMultiplier: DefaultCollateralMultiplier,
		MaintenanceRate:      DefaultMaintenanceRate,
		DayLength:            DefaultDayLength,
		SaleGracePeriod:      DefaultSaleGracePeriod,
		StakeRetention:       DefaultStakeRetention,
	}
}

// Validate checks every parameter; it returns ErrInvalidParams wrapped with
// the name and value of the first bad one. The floor of sale_grace_period
// that depends on x/pocps and x/epochs (MinSaleGracePeriod) is checked by
// MsgUpdateParams, which can read them.
func (p Params) Validate() error {
	if p.StakingFee.IsNil() || p.StakingFee.IsNegative() {
		return errors.Wrapf(ErrInvalidParams, "staking_fee must be a non-negative amount of uloop, got %s", p.StakingFee)
	}
	if p.MinLpDuration < time.Second || p.MinLpDuration%time.Second != 0 {
		return errors.Wrapf(ErrInvalidParams, "min_lp_duration must be a whole number of seconds ≥ 1s, got %s", p.MinLpDuration)
	}
	if p.SellMinDays < 1 || p.SellMaxDays < p.SellMinDays {
		return errors.Wrapf(ErrInvalidParams, "need 1 ≤ sell_min_days ≤ sell_max_days, got %d and %d", p.SellMinDays, p.SellMaxDays)
	}
	if p.CollateralMultiplier < 1 {
		return errors.Wrapf(ErrInvalidParams, "collateral_multiplier must be at least 1, got %d", p.CollateralMultiplier)
	}
	if p.MaintenanceRate.IsNil() || p.MaintenanceRate.IsNegative() {
		return errors.Wrapf(ErrInvalidParams, "maintenance_rate must be ≥ 0 uloop per GPU-second, got %s", p.MaintenanceRate)
	}
	if p.DayLength < time.Second || p.DayLength%time.Second != 0 {
		return errors.Wrapf(ErrInvalidParams, "day_length must be a whole number of seconds ≥ 1s, got %s", p.DayLength)
	}
	if int64(p.SellMaxDays) > int64(MaxCommitment/p.DayLength) {
		return errors.Wrapf(ErrInvalidParams, "sell_max_days × day_length must be at most %s, got %d × %s", MaxCommitment, p.SellMaxDays, p.DayLength)
	}
	if p.SaleGracePeriod < time.Second || p.SaleGracePeriod > MaxSaleGracePeriod || p.SaleGracePeriod%time.Second != 0 {
		return errors.Wrapf(ErrInvalidParams, "sale_grace_period must be a whole number of seconds in [1s, %s], got %s", MaxSaleGracePeriod, p.SaleGracePeriod)
	}
	if p.StakeRetention < time.Second || p.StakeRetention > MaxStakeRetention || p.StakeRetention%time.Second != 0 {
		return errors.Wrapf(ErrInvalidParams, "stake_retention must be a whole number of seconds in [1s, %s], got %s", MaxStakeRetention, p.StakeRetention)
	}
	return nil
}

// MinSaleGracePeriod is the shortest sale_grace_period that still catches
// a seller going offline right after its last scheduled challenge before
// the end: one challenge interval (challengeInterval epochs of epoch) for
// the next scheduled challenge, plus challengeDeadline for its report.
// It saturates at the largest time.Duration instead of overflowing.
func MinSaleGracePeriod(challengeInterval uint32, epoch, challengeDeadline time.Duration) time.Duration {
	const maxDuration = time.Duration(1<<63 - 1)
	if epoch < 0 || challengeDeadline < 0 {
		return maxDuration
	}
	if epoch > 0 && int64(challengeInterval) > int64(maxDuration/epoch) {
		return maxDuration
	}
	d := time.Duration(challengeInterval) * epoch
	if d > maxDuration-challengeDeadline {
		return maxDuration
	}
	return d + challengeDeadline
}
