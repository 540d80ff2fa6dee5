package types

import "cosmossdk.io/collections"

const (
	// ModuleName is the name of the x/pocps module, its store key and its
	// module account.
	ModuleName = "pocps"

	// StoreKey is the KV store key of x/pocps.
	StoreKey = ModuleName
)

// Store prefixes of x/pocps. A number is never reused.
var (
	// ParamsKey holds the module Params.
	ParamsKey = collections.NewPrefix(0)
	// DeviceSeqKey is the next device id.
	DeviceSeqKey = collections.NewPrefix(1)
	// DevicesKey maps device id → Device.
	DevicesKey = collections.NewPrefix(2)
	// DevicesByOwnerKey indexes devices by owner (owner, id).
	DevicesByOwnerKey = collections.NewPrefix(3)
	// DevicesByFingerprintKey indexes devices by (owner, fingerprint), unique.
	DevicesByFingerprintKey = collections.NewPrefix(4)
	// BlockHashesKey maps height → block hash for the last key_window blocks.
	BlockHashesKey = collections.NewPrefix(5)
	// VerifiersKey maps validator operator address → Verifier.
	VerifiersKey = collections.NewPrefix(6)
	// VerifiersByHotKeyKey indexes verifiers by hot key (unique).
	VerifiersByHotKeyKey = collections.NewPrefix(7)
	// ChallengeSeqKey is the next challenge id.
	ChallengeSeqKey = collections.NewPrefix(8)
	// ChallengesKey maps challenge id → Challenge.
	ChallengesKey = collections.NewPrefix(9)
	// ChallengesByDeviceKey indexes challenges by device.
	ChallengesByDeviceKey = collections.NewPrefix(10)
	// ChallengesByVerifierKey indexes challenges by assigned verifier.
	ChallengesByVerifierKey = collections.NewPrefix(11)
	// DeadlineQueueKey orders pending challenges by deadline (unix seconds, id).
	DeadlineQueueKey = collections.NewPrefix(12)
	// ScheduleKey orders sealed devices by the epoch they are next due (epoch, id).
	ScheduleKey = collections.NewPrefix(13)
	// CurrentEpochKey is the last ended `loopin` epoch.
	CurrentEpochKey = collections.NewPrefix(14)
	// ReportsKey counts accepted reports per (epoch, verifier).
	ReportsKey = collections.NewPrefix(15)
	// BeaconKey is the randomness beacon, mixed with every accepted
	// report's VRF output.
	BeaconKey = collections.NewPrefix(16)
	// DrawSeedKey is the seed of this block's draws, fixed at BeginBlock.
	DrawSeedKey = collections.NewPrefix(17)
	// DevicePruneKey orders FAILED devices by when they are pruned (unix
	// seconds, id).
	DevicePruneKey = collections.NewPrefix(18)
	// ChallengePruneKey orders closed challenges by when they are pruned.
	ChallengePruneKey = collections.NewPrefix(19)
	// MissesKey maps validator operator address → VerifierMisses.
	MissesKey = collections.NewPrefix(20)
	// LastPassesKey maps device id → unix nanoseconds of its last passed
	// residency challenge or its seal (Keeper.LastPass).
	LastPassesKey = collections.NewPrefix(21)
)
