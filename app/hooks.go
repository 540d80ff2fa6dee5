package app

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	epochstypes "github.com/cosmos/cosmos-sdk/x/epochs/types"

	pocpstypes "github.com/loopin-project/loopin/x/pocps/types"
	poolstypes "github.com/loopin-project/loopin/x/pools/types"
	"github.com/loopin-project/loopin/x/rewards/keeper"
	staketypes "github.com/loopin-project/loopin/x/stake/types"
)

// The LooPIN modules call each other one way through their keepers
// (stake → pools, pocps; rewards → pools, stake, pocps; pocps → pools) and
// the other way through callbacks. The callbacks are this file's adapters:
// each keeper receives its hooks at construction (NewKeeper), and an
// adapter reaches the receiving keeper through the App when it is called.
// So nothing is set on a keeper after it is built, and every copy of a
// keeper — the App's, the module's, another keeper's — calls the same
// receivers (docs/architecture.md "Who calls whom").

// loopinHooks builds the callback adapters of the LooPIN modules.
type loopinHooks struct{ app *App }

// pools returns x/pools' lease callbacks: x/rewards pays the client.
func (h loopinHooks) pools() poolstypes.PoolsHooks { return poolsHooks(h) }

// pocps returns x/pocps' callbacks: on a confirmed failure x/stake runs its
// failure path, then x/rewards re-weighs; on a pass x/rewards re-weighs.
func (h loopinHooks) pocps() pocpstypes.PocpsHooks { return pocpsHooks(h) }

// stake returns x/stake's commitment callbacks: x/rewards' miners' stream.
func (h loopinHooks) stake() staketypes.StakeHooks { return stakeHooks(h) }

// loyalty returns PoL's inputs for x/pocps: C_minted and C_held from
// x/rewards.
func (h loopinHooks) loyalty() pocpstypes.LoyaltyKeeper { return loyaltyHooks(h) }

// balance returns x/stake's check of a new maintenance rate β against
// x/rewards' reward rate γ.
func (h loopinHooks) balance() staketypes.BalanceChecker { return balanceHooks(h) }

// liveness returns x/pools' matching input: when x/pocps last saw a device
// pass a challenge.
func (h loopinHooks) liveness() poolstypes.LivenessReader { return livenessHooks(h) }

type poolsHooks loopinHooks

func (h poolsHooks) AfterLeaseEnded(ctx context.Context, l poolstypes.Lease) error {
	return h.app.RewardsKeeper.PoolsHooks().AfterLeaseEnded(ctx, l)
}

type pocpsHooks loopinHooks

func (h pocpsHooks) multi() pocpstypes.MultiPocpsHooks {
	return pocpstypes.NewMultiPocpsHooks(h.app.StakeKeeper.PocpsHooks(), h.app.RewardsKeeper.PocpsHooks())
}

func (h pocpsHooks) AfterDeviceFailed(ctx context.Context, deviceID uint64) error {
	return h.multi().AfterDeviceFailed(ctx, deviceID)
}

func (h pocpsHooks) AfterDeviceScored(ctx context.Context, deviceID uint64) error {
	return h.multi().AfterDeviceScored(ctx, deviceID)
}

type stakeHooks loopinHooks

func (h stakeHooks) AfterStakeStarted(ctx context.Context, deviceID uint64, owner string) error {
	return h.app.RewardsKeeper.StakeHooks().AfterStakeStarted(ctx, deviceID, owner)
}

func (h stakeHooks) AfterStakeEnded(ctx context.Context, deviceID uint64) error {
	return h.app.RewardsKeeper.StakeHooks().AfterStakeEnded(ctx, deviceID)
}

type loyaltyHooks loopinHooks

func (h loyaltyHooks) Minted(ctx context.Context, owner sdk.AccAddress) (math.Int, error) {
	return keeper.Loyalty{K: h.app.RewardsKeeper}.Minted(ctx, owner)
}

func (h loyaltyHooks) Held(ctx context.Context, owner sdk.AccAddress) (math.Int, error) {
	return keeper.Loyalty{K: h.app.RewardsKeeper}.Held(ctx, owner)
}

type livenessHooks loopinHooks

// LastPass is x/pocps' LastPass; a device x/pocps does not know reads as
// the zero time (never passed), so matching passes it over.
func (h livenessHooks) LastPass(ctx context.Context, deviceID uint64) (time.Time, error) {
	t, err := h.app.PocpsKeeper.LastPass(ctx, deviceID)
	if errors.Is(err, pocpstypes.ErrDeviceNotFound) {
		return time.Time{}, nil
	}
	return t, err
}

type balanceHooks loopinHooks

func (h balanceHooks) CheckBalance(ctx context.Context, beta math.LegacyDec) error {
	return h.app.RewardsKeeper.CheckBalance(ctx, beta)
}

// EventTypeEpochHookFailed is the event emitted when a LooPIN epoch hook
// fails; its attributes are AttributeKeyModule, AttributeKeyEpoch and
// AttributeKeyError.
const (
	EventTypeEpochHookFailed = "loopin_epoch_hook_failed"
	AttributeKeyModule       = "module"
	AttributeKeyEpoch        = "epoch"
	AttributeKeyError        = "error"
)

// namedEpochHook is one module's x/epochs hooks.
type namedEpochHook struct {
	module string
	hooks  epochstypes.EpochHooks
}

// isolatedEpochHooks runs the LooPIN epoch hooks in order, each in its own
// cached context: a hook that fails has its writes discarded, is logged and
// reported with an EventTypeEpochHookFailed event, and the hooks after it —
// above all x/rewards' mint — still run and are kept. x/epochs runs the
// whole set in one more cached context, which is then always written.
type isolatedEpochHooks struct {
	hooks []namedEpochHook
}

var _ epochstypes.EpochHooks = (*isolatedEpochHooks)(nil)

func newIsolatedEpochHooks(hooks ...namedEpochHook) *isolatedEpochHooks {
	return &isolatedEpochHooks{hooks: hooks}
}

// AfterEpochEnd runs every hook's AfterEpochEnd in isolation; it never
// returns an error.
func (h *isolatedEpochHooks) AfterEpochEnd(ctx context.Context, identifier string, epoch int64) error {
	h.run(ctx, "after epoch end", epoch, func(cctx context.Context, eh epochstypes.EpochHooks) error {
		return eh.AfterEpochEnd(cctx, identifier, epoch)
	})
	return nil
}

// BeforeEpochStart runs every hook's BeforeEpochStart in isolation; it
// never returns an error.
func (h *isolatedEpochHooks) BeforeEpochStart(ctx context.Context, identifier string, epoch int64) error {
	h.run(ctx, "before epoch start", epoch, func(cctx context.Context, eh epochstypes.EpochHooks) error {
		return eh.BeforeEpochStart(cctx, identifier, epoch)
	})
	return nil
}

func (h *isolatedEpochHooks) run(ctx context.Context, what string, epoch int64, call func(context.Context, epochstypes.EpochHooks) error) {
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	for _, nh := range h.hooks {
		cacheCtx, write := sdkCtx.CacheContext()
		err := callHook(cacheCtx, nh.hooks, call)
		if err == nil {
			write()
			continue
		}
		sdkCtx.Logger().Error("epoch hook failed; its writes are discarded, the other hooks run",
			"module", nh.module, "hook", what, "epoch", epoch, "err", err)
		sdkCtx.EventManager().EmitEvent(sdk.NewEvent(EventTypeEpochHookFailed,
			sdk.NewAttribute(AttributeKeyModule, nh.module),
			sdk.NewAttribute(AttributeKeyEpoch, strconv.FormatInt(epoch, 10)),
			sdk.NewAttribute(AttributeKeyError, err.Error()),
		))
	}
}

// callHook runs one hook and turns a panic into an error, so that a bug in
// one module's epoch end cannot stop the others.
func callHook(ctx sdk.Context, eh epochstypes.EpochHooks, call func(context.Context, epochstypes.EpochHooks) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return call(ctx, eh)
}
