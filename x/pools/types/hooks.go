package types

import "context"

// PoolsHooks are the callbacks x/pools makes when a lease ends, so x/rewards
// can pay its client per leased GPU-second. Nothing is called when a lease
// starts: purchases stay cheap, and the leased seconds of each epoch are
// counted in the pools (Pool.leased_seconds).
type PoolsHooks interface {
	// AfterLeaseEnded is called with the lease when it ends, is terminated
	// or is broken by its device's failure (end is then its last second).
	AfterLeaseEnded(ctx context.Context, l Lease) error
}
