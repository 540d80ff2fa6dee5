package types

import "cosmossdk.io/collections"

const (
	// ModuleName is the name of the x/pools module, its store key and its
	// module account (which holds the pools' uloop reserves and escrows).
	ModuleName = "pools"

	// StoreKey is the KV store key of x/pools.
	StoreKey = ModuleName
)

// Store prefixes of x/pools. A number is never reused.
var (
	// ParamsKey holds the module Params.
	ParamsKey = collections.NewPrefix(0)
	// PoolSeqKey is the next pool id − 1.
	PoolSeqKey = collections.NewPrefix(1)
	// PoolsKey maps pool id → Pool.
	PoolsKey = collections.NewPrefix(2)
	// PoolsByClassKey indexes pools by GPU class (unique).
	PoolsByClassKey = collections.NewPrefix(3)
)

// Market state (x/pools/README.md).
var (
	// PositionsKey maps device id → Position.
	PositionsKey = collections.NewPrefix(4)
	// IdleKey indexes idle devices by (pool, commitment end, device) for
	// lease matching: the longest remaining commitment is the last entry of
	// the pool's range.
	IdleKey = collections.NewPrefix(5)
	// LeaseSeqKey is the last lease id.
	LeaseSeqKey = collections.NewPrefix(6)
	// LeasesKey maps lease id → Lease.
	LeasesKey = collections.NewPrefix(7)
	// LeasesByClientKey indexes leases by client.
	LeasesByClientKey = collections.NewPrefix(8)
	// LeasesByDeviceKey indexes leases by device.
	LeasesByDeviceKey = collections.NewPrefix(9)
	// Prefix 10 held the global queue (unix seconds, kind, id) before the
	// queue was split by pool (QueueKey); it is not reused.
	// SnapshotsKey maps (pool, unix seconds) → Π at an epoch end.
	SnapshotsKey = collections.NewPrefix(11)
)

// Kinds of queue entries, in the top bit of an entry's third key part
// (kind | id): at one time lease ends sort first, so a device freed at its
// commitment end idles for no time. Lease and device ids stay below 2^63.
const (
	QueueLeaseEnd      uint64 = 0
	QueueCommitmentEnd uint64 = 1 << 63
)

// QueueEntry returns the third key part of a queue entry of kind for id.
func QueueEntry(kind, id uint64) uint64 { return kind | id }

// QueueKindID splits a queue entry's third key part into its kind and id.
func QueueKindID(e uint64) (kind, id uint64) { return e & QueueCommitmentEnd, e &^ QueueCommitmentEnd }

// GpuClassesKey maps pool id → the pool's GpuClass record (reference price,
// W_bench, seal sizes, deadlines), kept apart from its reserves so a trade
// neither reads nor rewrites it.
var GpuClassesKey = collections.NewPrefix(12)

// Bounded state (x/pools/README.md "Block and epoch logic").
var (
	// PruneQueueKey is the time-keyed queue of closed leases to prune:
	// (unix seconds, lease id), the lease's close time plus lease_retention.
	PruneQueueKey = collections.NewPrefix(13)
	// QueueKey is the per-pool time-keyed queue of lease ends and commitment
	// ends: (pool, unix seconds, QueueEntry(kind, id)).
	QueueKey = collections.NewPrefix(14)
)

// Per-block bounds of BeginBlock's work (x/pools/README.md).
const (
	// MaxQueueBatch is the most lease and commitment ends of one pool that one
	// pass of the queue applies (BeginBlock, and the epoch end's pass); the
	// rest waits for the next block with the pool's queue_backlog set.
	MaxQueueBatch = 100
	// MaxPruneBatch is the most closed leases one block prunes.
	MaxPruneBatch = 100
	// MatchScan is the most idle devices MsgBuyLease looks at, from the
	// longest commitment down, for one that passed a challenge within
	// match_liveness_window.
	MatchScan = 8
)
