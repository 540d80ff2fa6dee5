package types

import "context"

// PoolsHooks are the callbacks x/pools makes when a lease starts and ends,
// so x/rewards can pay clients per leased GPU-second.
type PoolsHooks interface {
	// AfterLeaseStarted is called when client buys lease leaseID.
	AfterLeaseStarted(ctx context.Context, leaseID uint64, client string) error
	// AfterLeaseEnded is called when lease leaseID ends, is terminated or
	// is broken by its device's failure.
	AfterLeaseEnded(ctx context.Context, leaseID uint64) error
}
