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
	// QueueKey is the time-keyed queue of lease ends and commitment ends:
	// (unix seconds, kind, id), kind QueueLeaseEnd before QueueCommitmentEnd.
	QueueKey = collections.NewPrefix(10)
	// SnapshotsKey maps (pool, unix seconds) → Π at an epoch end.
	SnapshotsKey = collections.NewPrefix(11)
)

// Kinds of queue entries; at one time, lease ends come first so a device
// freed at its commitment end idles for no time.
const (
	QueueLeaseEnd      uint64 = 0
	QueueCommitmentEnd uint64 = 1
)

// GpuClassesKey maps pool id → the pool's GpuClass record (reference price,
// W_bench, seal sizes, deadlines), kept apart from its reserves so a trade
// neither reads nor rewrites it.
var GpuClassesKey = collections.NewPrefix(12)
