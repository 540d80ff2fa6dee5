package types

import "cosmossdk.io/errors"

// Registered errors of x/pools (codes ≥ 2; 1 is reserved by the SDK).
var (
	// ErrInvalidSigner is returned when MsgUpdateParams is not signed by the
	// module authority.
	ErrInvalidSigner = errors.Register(ModuleName, 2, "invalid authority")
	// ErrInvalidParams is returned when parameters fail Params.Validate.
	ErrInvalidParams = errors.Register(ModuleName, 3, "invalid params")
)

// Pool errors.
var (
	// ErrPoolNotFound is returned for an unknown pool id or class.
	ErrPoolNotFound = errors.Register(ModuleName, 4, "pool not found")
	// ErrPoolExists is returned when a class already has a pool.
	ErrPoolExists = errors.Register(ModuleName, 5, "a pool for this class exists")
	// ErrInvalidPool is returned for malformed pool parameters.
	ErrInvalidPool = errors.Register(ModuleName, 6, "invalid pool")
)

// Market errors.
var (
	// ErrPoolNotActive is returned when a retired pool is traded, or a
	// retiring one takes a new stake.
	ErrPoolNotActive = errors.Register(ModuleName, 7, "pool does not take this operation in its status")
	// ErrInvalidDuration is returned for a malformed duration or one outside
	// the lease bounds.
	ErrInvalidDuration = errors.Register(ModuleName, 8, "invalid duration")
	// ErrNoIdleDevice is returned when no idle device's commitment covers
	// the lease.
	ErrNoIdleDevice = errors.Register(ModuleName, 9, "no idle device long enough")
	// ErrSlippage is returned when a trade would pay more than max_uloop_in
	// or refund less than min_refund.
	ErrSlippage = errors.Register(ModuleName, 10, "slippage bound exceeded")
	// ErrDeadlinePassed is returned when a message's deadline is before the
	// block time.
	ErrDeadlinePassed = errors.Register(ModuleName, 11, "deadline passed")
	// ErrLeaseNotFound is returned for an unknown lease id.
	ErrLeaseNotFound = errors.Register(ModuleName, 12, "lease not found")
	// ErrNotLeaseClient is returned when someone else's lease is extended
	// or terminated.
	ErrNotLeaseClient = errors.Register(ModuleName, 13, "lease not yours")
	// ErrLeaseEnded is returned when an ended lease is extended or
	// terminated.
	ErrLeaseEnded = errors.Register(ModuleName, 14, "lease already ended")
	// ErrInsufficientLiquidity is returned when a purchase asks for all of
	// the pool's unsold time or more.
	ErrInsufficientLiquidity = errors.Register(ModuleName, 15, "pool cannot sell that much time")
	// ErrPositionExists is returned when a committed device is staked again.
	ErrPositionExists = errors.Register(ModuleName, 16, "device already committed to a pool")
	// ErrPositionNotFound is returned for a device with no position.
	ErrPositionNotFound = errors.Register(ModuleName, 17, "device has no position")
	// ErrInvalidAmount is returned for a missing or negative uloop amount
	// or a commitment that does not end in the future.
	ErrInvalidAmount = errors.Register(ModuleName, 18, "invalid amount")
	// ErrNotCovered is returned when an extension runs past the device's
	// commitment, or a purchase names a device (MsgBuyLease.device_id) whose
	// commitment ends before the lease would.
	ErrNotCovered = errors.Register(ModuleName, 19, "device commitment does not cover the lease")
	// ErrPoolBusy is returned when a trade or stake touches a pool whose
	// queue_backlog is set: lease and commitment ends due by now wait for
	// the next block's BeginBlock, and the pool's time may not pass them.
	// Retry in a later block.
	ErrPoolBusy = errors.Register(ModuleName, 22, "pool is applying a backlog of due lease and commitment ends")
	// ErrDeviceNotInPool is returned when a purchase names a device
	// (MsgBuyLease.device_id) that holds no position in the pool of its
	// gpu_class.
	ErrDeviceNotInPool = errors.Register(ModuleName, 23, "device is not in this pool")
	// ErrDeviceNotIdle is returned when a purchase names a device that
	// serves a lease.
	ErrDeviceNotIdle = errors.Register(ModuleName, 24, "device is not idle")
	// ErrCommitmentEndsEarly is returned when the device a purchase would
	// be on (named, or matched) has a commitment that ends before the
	// purchase's min_commitment_end.
	ErrCommitmentEndsEarly = errors.Register(ModuleName, 25, "device commitment ends before min_commitment_end")
	// ErrPriceImpact is returned by EstimateBuyMaxImpact when even the
	// shortest lease (min_lease_duration) would move the spot price by more
	// than the bound asked.
	ErrPriceImpact = errors.Register(ModuleName, 26, "price impact above the bound")
)

// Stateless message errors (Msg.ValidateBasic, run at CheckTx).
var (
	// ErrInvalidAddress is returned for a missing or malformed bech32
	// address.
	ErrInvalidAddress = errors.Register(ModuleName, 20, "invalid address")
	// ErrInvalidID is returned for an id of zero: ids start at 1.
	ErrInvalidID = errors.Register(ModuleName, 21, "invalid id")
	// ErrInvalidTime is returned for a timestamp that cannot be meant,
	// such as a min_commitment_end before 1970.
	ErrInvalidTime = errors.Register(ModuleName, 27, "invalid time")
)
