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
	}
}

// Validate checks every parameter; it returns ErrInvalidParams wrapped with
// the name and value of the first bad one.
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
	return nil
}
