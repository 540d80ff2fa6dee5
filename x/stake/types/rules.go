package types

import (
	"time"

	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"
)

// The x/stake rules that need no state, in one place: the keeper applies
// them to its records and `loopind simulate market` (sim/market) applies the
// same functions to its simulated miners, so the simulator runs the chain's
// rules, not a copy of them (x/stake/README.md "Concepts").

// CheckLPDuration returns ErrInvalidDuration unless d is a whole number of
// seconds in [min_lp_duration, MaxCommitment].
func (p Params) CheckLPDuration(d time.Duration) error {
	if d < time.Second || d%time.Second != 0 {
		return errorsmod.Wrapf(ErrInvalidDuration, "duration %s must be a positive whole number of seconds", d)
	}
	if d < p.MinLpDuration {
		return errorsmod.Wrapf(ErrInvalidDuration, "an LP stake lasts at least min_lp_duration %s, not %s", p.MinLpDuration, d)
	}
	if d > MaxCommitment {
		return errorsmod.Wrapf(ErrInvalidDuration, "an LP stake lasts at most %s, not %s", MaxCommitment, d)
	}
	return nil
}

// SaleDuration returns the length of a sale of days whole days (days ×
// day_length), or ErrInvalidDuration when days is outside [sell_min_days,
// sell_max_days].
func (p Params) SaleDuration(days uint32) (time.Duration, error) {
	if days < p.SellMinDays || days > p.SellMaxDays {
		return 0, errorsmod.Wrapf(ErrInvalidDuration, "a sale covers %d to %d whole days, not %d", p.SellMinDays, p.SellMaxDays, days)
	}
	return time.Duration(days) * p.DayLength, nil
}

// SaleLocks returns what a sale of seconds GPU-seconds at the spot price
// spot (uloop per GPU-second) locks, in uloop: the collateral
// ⌈collateral_multiplier × spot × seconds⌉ and the maintenance deposit
// ⌈maintenance_rate × seconds⌉, both rounded up so the seller locks at
// least the rule's amount.
func (p Params) SaleLocks(spot math.LegacyDec, seconds int64) (collateral, deposit math.Int) {
	collateral = spot.MulInt64(seconds).MulInt64(int64(p.CollateralMultiplier)).Ceil().TruncateInt()
	deposit = p.MaintenanceRate.MulInt64(seconds).Ceil().TruncateInt()
	return collateral, deposit
}

// RenewalAdded returns the time a renewal by epochs whole epochs of length
// epoch adds to a commitment that ends at end, renewed at now (before end).
// Errors (ErrInvalidDuration): 0 epochs, or a renewed end more than
// MaxCommitment after now — compared by division, so no epochs value
// overflows.
func RenewalAdded(now, end time.Time, epochs uint32, epoch time.Duration) (time.Duration, error) {
	if epochs == 0 {
		return 0, errorsmod.Wrap(ErrInvalidDuration, "renew by at least one epoch")
	}
	room := MaxCommitment - end.Sub(now)
	if epoch <= 0 || room < epoch || uint64(epochs) > uint64(room/epoch) {
		return 0, errorsmod.Wrapf(ErrInvalidDuration, "%d epochs of %s would end the stake more than %s from now", epochs, epoch, MaxCommitment)
	}
	return time.Duration(epochs) * epoch, nil
}

// SaleFailure splits a failed sale's locked uloop (docs/stake.md
// "Failure"): from the collateral the broken lease's client is refunded
// what the pool says the seller owes it (collateralRefund, at most the
// collateral); the LP positions that bought the undelivered time are paid
// its value again from the rest, at most penaltyCap (the time's value,
// x/pools FailResult.PenaltyCap), streamed to them; the rest of the
// collateral and the whole maintenance deposit are burned.
func SaleFailure(collateral, deposit, collateralRefund, penaltyCap math.Int) (toClient, toLPs, burned math.Int) {
	toClient = math.MinInt(collateralRefund, collateral)
	toLPs = math.MinInt(collateral.Sub(toClient), penaltyCap)
	burned = collateral.Sub(toClient).Sub(toLPs).Add(deposit)
	return toClient, toLPs, burned
}
