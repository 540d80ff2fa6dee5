package types

import "cosmossdk.io/collections"

const (
	// ModuleName is the name of the x/rewards module, its store key and its
	// module account (the only minter of uloop).
	ModuleName = "rewards"

	// StoreKey is the KV store key of x/rewards.
	StoreKey = ModuleName
)

// Store prefixes of x/rewards. A number is never reused.
var (
	// ParamsKey holds the module Params.
	ParamsKey = collections.NewPrefix(0)
	// EpochsKey maps epoch → EpochEmission.
	EpochsKey = collections.NewPrefix(1)
	// PendingKey maps address → claimable uloop.
	PendingKey = collections.NewPrefix(2)
	// MintedKey maps address → C_minted, uloop ever minted to it as rewards.
	MintedKey = collections.NewPrefix(3)
	// StreamsKey maps stream → Stream (miners 1, clients 2).
	StreamsKey = collections.NewPrefix(4)
	// PeriodsKey maps (stream, period) → closed Period.
	PeriodsKey = collections.NewPrefix(5)
	// RewardAccountsKey maps (stream, id) → RewardAccount.
	RewardAccountsKey = collections.NewPrefix(6)
	// EndedKey holds (stream, period, id) of accounts that ended in period.
	EndedKey = collections.NewPrefix(7)
	// PeriodRefsKey maps (stream, period) → the number of accounts last
	// settled in period (derived: rebuilt at genesis).
	PeriodRefsKey = collections.NewPrefix(8)
	// EndedLeasesKey maps an x/pools lease id at or above the clients'
	// lease cursor that has ended and been paid → its start, unix seconds.
	EndedLeasesKey = collections.NewPrefix(9)
)

// Pruning batches: what one epoch end deletes or walks at most, so its cost
// stays bounded when a backlog builds up (a lowered epoch_retention, a
// genesis import, a long lease that held the lease cursor back).
const (
	// PruneBatch is the most epoch records, and the most closed clients'
	// periods, one epoch end deletes (one of each is due per epoch).
	PruneBatch = 16
	// LeaseCursorBatch is the most ended leases one epoch end moves the
	// clients' lease cursor past.
	LeaseCursorBatch = 256
	// LeaseCursorStep is the most ended leases one lease end moves the
	// cursor past (besides its own): more than the one it may add, so the
	// set of ended leases above the cursor drains as leases end.
	LeaseCursorStep = 4
)

// Reward streams.
const (
	// StreamMiners pays the miners' share by committed device seconds ×
	// PoCPS score × class weight.
	StreamMiners uint32 = 1
	// StreamClients pays the clients' share by leased GPU-seconds.
	StreamClients uint32 = 2
)
