package types

import (
	"context"
	"errors"
)

// PocpsHooks are the callbacks x/pocps makes into the modules that depend
// on verification results, the way x/staking calls x/distribution through
// StakingHooks. x/stake implements them to run its failure path.
type PocpsHooks interface {
	// AfterDeviceFailed is called once a device's failure is confirmed by
	// `confirmations` independent verifiers (x/stake/README.md, x/pocps/README.md). deviceID is
	// the x/pocps device id. An error aborts the confirming transaction.
	AfterDeviceFailed(ctx context.Context, deviceID uint64) error
	// AfterDeviceScored is called when a passed challenge has updated a
	// device's W (its PoCPS score changed): x/rewards re-weighs it.
	AfterDeviceScored(ctx context.Context, deviceID uint64) error
}

// MultiPocpsHooks runs several PocpsHooks in order.
type MultiPocpsHooks []PocpsHooks

var _ PocpsHooks = MultiPocpsHooks{}

// NewMultiPocpsHooks combines hooks; they run in the order given.
func NewMultiPocpsHooks(hooks ...PocpsHooks) MultiPocpsHooks {
	return hooks
}

// AfterDeviceFailed calls every hook, even after one fails, and returns all
// their errors joined.
func (h MultiPocpsHooks) AfterDeviceFailed(ctx context.Context, deviceID uint64) error {
	var errs error
	for _, hook := range h {
		errs = errors.Join(errs, hook.AfterDeviceFailed(ctx, deviceID))
	}
	return errs
}

// AfterDeviceScored calls every hook, even after one fails, and returns
// all their errors joined.
func (h MultiPocpsHooks) AfterDeviceScored(ctx context.Context, deviceID uint64) error {
	var errs error
	for _, hook := range h {
		errs = errors.Join(errs, hook.AfterDeviceScored(ctx, deviceID))
	}
	return errs
}
