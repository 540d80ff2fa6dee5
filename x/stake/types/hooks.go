package types

import "context"

// StakeHooks are the callbacks x/stake makes when a device's commitment
// starts and ends, so x/rewards can pay miners per committed second.
type StakeHooks interface {
	// AfterStakeStarted is called when a certificate commits deviceID for
	// owner (LP stake or sale).
	AfterStakeStarted(ctx context.Context, deviceID uint64, owner string) error
	// AfterStakeEnded is called when the device's certificate expires or
	// fails.
	AfterStakeEnded(ctx context.Context, deviceID uint64) error
}
