// Package keeper holds the x/stake state machine: the collections schema,
// the Msg and Query servers and genesis import/export.
package keeper

import (
	"context"
	"fmt"

	"cosmossdk.io/collections"
	"cosmossdk.io/collections/indexes"
	"cosmossdk.io/core/store"
	errorsmod "cosmossdk.io/errors"
	"github.com/cosmos/cosmos-sdk/codec"
	sdk "github.com/cosmos/cosmos-sdk/types"
	chaintypes "github.com/loopin-project/loopin/types"
	"github.com/loopin-project/loopin/x/stake/types"
)

// checkAuthority refuses a governance Msg whose authority is not the one
// sdk.ValidateAuthority expects: the consensus params' authority when one
// is set, otherwise the module's. Errors: ErrInvalidSigner.
func (k Keeper) checkAuthority(ctx context.Context, authority string) error {
	if err := sdk.ValidateAuthority(sdk.UnwrapSDKContext(ctx), k.authority, authority); err != nil {
		return errorsmod.Wrap(types.ErrInvalidSigner, err.Error())
	}
	return nil
}

// Keeper owns the x/stake store. Build it with NewKeeper; the zero value is
// not usable.
type Keeper struct {
	cdc           codec.BinaryCodec
	accountKeeper types.AccountKeeper
	bankKeeper    types.BankKeeper
	poolsKeeper   types.PoolsKeeper
	pocpsKeeper   types.PocpsKeeper
	epochsKeeper  types.EpochsKeeper
	// balance checks a new maintenance rate β against the reward rate
	// (x/rewards: β < γ); nil accepts any β.
	balance types.BalanceChecker
	// hooks are told of commitments starting and ending (x/rewards); nil
	// calls nothing.
	hooks types.StakeHooks

	// authority is the bech32 address allowed to send MsgUpdateParams
	// (the x/gov module account by default).
	authority string

	// Schema lists every collection below, for genesis and indexers.
	Schema collections.Schema
	// Params holds the module parameters.
	Params collections.Item[types.Params]
	// StakeSeq is the last certificate id.
	StakeSeq collections.Sequence
	// Stakes holds every certificate, indexed by owner and by device.
	Stakes *collections.IndexedMap[uint64, types.Stake, StakeIndexes]
	// Expiry queues active certificates by (end unix seconds, id);
	// BeginBlock pops what ends.
	Expiry collections.KeySet[collections.Pair[int64, uint64]]
	// Release queues sales in their grace by (release_at unix seconds,
	// id); BeginBlock pays back collateral and deposit of what is due.
	Release collections.KeySet[collections.Pair[int64, uint64]]
	// Prune queues ended certificates by (prune_at unix seconds, id);
	// BeginBlock removes what is due from Stakes and its indexes.
	Prune collections.KeySet[collections.Pair[int64, uint64]]
}

// StakeIndexes are the secondary indexes of Stakes.
type StakeIndexes struct {
	ByOwner  *indexes.Multi[sdk.AccAddress, uint64, types.Stake]
	ByDevice *indexes.Multi[uint64, uint64, types.Stake]
}

// IndexesList implements collections.Indexes.
func (i StakeIndexes) IndexesList() []collections.Index[uint64, types.Stake] {
	return []collections.Index[uint64, types.Stake]{i.ByOwner, i.ByDevice}
}

// NewKeeper builds the x/stake keeper on storeService. It panics when
// authority is not a valid account address, as x/staking's keeper does: that
// is a wiring bug, not a runtime condition.
//
// x/stake depends on x/pools (the pool its devices' time joins) and x/pocps
// (device registration and seals); neither depends on x/stake. balance
// checks a new β (x/rewards' CheckBalance) and hooks are told of
// commitments (x/rewards); either may be nil.
func NewKeeper(
	cdc codec.BinaryCodec, storeService store.KVStoreService, ak types.AccountKeeper, bk types.BankKeeper,
	pk types.PoolsKeeper, vk types.PocpsKeeper, ek types.EpochsKeeper,
	balance types.BalanceChecker, hooks types.StakeHooks, authority string,
) Keeper {
	if _, err := ak.AddressCodec().StringToBytes(authority); err != nil {
		panic(fmt.Errorf("x/%s: invalid authority address %q: %w", types.ModuleName, authority, err))
	}
	sb := collections.NewSchemaBuilder(storeService)
	k := Keeper{
		cdc:           cdc,
		accountKeeper: ak,
		bankKeeper:    bk,
		poolsKeeper:   pk,
		pocpsKeeper:   vk,
		epochsKeeper:  ek,
		balance:       balance,
		hooks:         hooks,
		authority:     authority,
		Params:        collections.NewItem(sb, types.ParamsKey, "params", codec.CollValue[types.Params](cdc)),
		StakeSeq:      collections.NewSequence(sb, types.StakeSeqKey, "stake_seq"),
		Stakes: collections.NewIndexedMap(sb, types.StakesKey, "stakes", collections.Uint64Key, codec.CollValue[types.Stake](cdc),
			StakeIndexes{
				ByOwner: indexes.NewMulti(sb, types.StakesByOwnerKey, "stakes_by_owner", sdk.AccAddressKey, collections.Uint64Key,
					func(_ uint64, s types.Stake) (sdk.AccAddress, error) { return ak.AddressCodec().StringToBytes(s.Owner) }),
				ByDevice: indexes.NewMulti(sb, types.StakesByDeviceKey, "stakes_by_device", collections.Uint64Key, collections.Uint64Key,
					func(_ uint64, s types.Stake) (uint64, error) { return s.DeviceId, nil }),
			}),
		Expiry:  collections.NewKeySet(sb, types.ExpiryKey, "expiry", collections.PairKeyCodec(collections.Int64Key, collections.Uint64Key)),
		Release: collections.NewKeySet(sb, types.ReleaseKey, "release", collections.PairKeyCodec(collections.Int64Key, collections.Uint64Key)),
		Prune:   collections.NewKeySet(sb, types.PruneKey, "prune", collections.PairKeyCodec(collections.Int64Key, collections.Uint64Key)),
	}
	schema, err := sb.Build()
	if err != nil {
		panic(err)
	}
	k.Schema = schema
	return k
}

// checkGrace refuses params whose sale_grace_period is shorter than one
// challenge interval of x/pocps plus its challenge deadline
// (types.MinSaleGracePeriod): a seller could then go offline right after
// the last scheduled challenge before its sale's end and be paid back
// before any further challenge is due. Errors: ErrInvalidParams.
func (k Keeper) checkGrace(ctx context.Context, p types.Params) error {
	pp, err := k.pocpsKeeper.GetParams(ctx)
	if err != nil {
		return err
	}
	info, err := k.epochsKeeper.GetEpochInfo(sdk.UnwrapSDKContext(ctx), chaintypes.EpochIdentifier)
	if err != nil {
		return err
	}
	if floor := types.MinSaleGracePeriod(pp.ChallengeInterval, info.Duration, pp.ChallengeDeadline); p.SaleGracePeriod < floor {
		return errorsmod.Wrapf(types.ErrInvalidParams, "sale_grace_period %s must be at least challenge_interval × epoch + challenge_deadline = %d × %s + %s = %s",
			p.SaleGracePeriod, pp.ChallengeInterval, info.Duration, pp.ChallengeDeadline, floor)
	}
	return nil
}

// Authority returns the bech32 address allowed to update the parameters.
func (k Keeper) Authority() string { return k.authority }

// GetParams returns the current x/stake parameters, for other modules' keepers.
func (k Keeper) GetParams(ctx context.Context) (types.Params, error) {
	return k.Params.Get(ctx)
}

// stakeStarted calls the AfterStakeStarted hook, if any.
func (k Keeper) stakeStarted(ctx context.Context, deviceID uint64, owner string) error {
	if k.hooks != nil {
		return k.hooks.AfterStakeStarted(ctx, deviceID, owner)
	}
	return nil
}

// stakeEnded calls the AfterStakeEnded hook, if any.
func (k Keeper) stakeEnded(ctx context.Context, deviceID uint64) error {
	if k.hooks != nil {
		return k.hooks.AfterStakeEnded(ctx, deviceID)
	}
	return nil
}
