// Package keeper holds the x/stake state machine: the collections schema,
// the Msg and Query servers and genesis import/export.
package keeper

import (
	"context"
	"fmt"

	"cosmossdk.io/collections"
	"cosmossdk.io/collections/indexes"
	"cosmossdk.io/core/store"
	"cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/codec"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/loopin-project/loopin/x/stake/types"
)

// Keeper owns the x/stake store. Build it with NewKeeper; the zero value is
// not usable.
type Keeper struct {
	cdc           codec.BinaryCodec
	accountKeeper types.AccountKeeper
	bankKeeper    types.BankKeeper
	poolsKeeper   types.PoolsKeeper
	pocpsKeeper   types.PocpsKeeper
	epochsKeeper  types.EpochsKeeper
	// balance checks a new maintenance rate against the reward rate
	// (x/rewards, set by the app); nil accepts any.
	balance *func(ctx context.Context, beta math.LegacyDec) error
	// hooks are set once by the app and shared by every copy of the keeper.
	hooks *types.StakeHooks

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
// (device registration and seals); neither depends on x/stake.
func NewKeeper(
	cdc codec.BinaryCodec, storeService store.KVStoreService, ak types.AccountKeeper, bk types.BankKeeper,
	pk types.PoolsKeeper, vk types.PocpsKeeper, ek types.EpochsKeeper, authority string,
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
		balance:       new(func(context.Context, math.LegacyDec) error),
		hooks:         new(types.StakeHooks),
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
		Expiry: collections.NewKeySet(sb, types.ExpiryKey, "expiry", collections.PairKeyCodec(collections.Int64Key, collections.Uint64Key)),
	}
	schema, err := sb.Build()
	if err != nil {
		panic(err)
	}
	k.Schema = schema
	return k
}

// Authority returns the bech32 address allowed to update the parameters.
func (k Keeper) Authority() string { return k.authority }

// GetParams returns the current x/stake parameters, for other modules' keepers.
func (k Keeper) GetParams(ctx context.Context) (types.Params, error) {
	return k.Params.Get(ctx)
}

// SetBalanceCheck sets the check x/stake's MsgUpdateParams runs on a new
// maintenance rate β (x/rewards' CheckBalance: β < γ, whitepaper §5). Every
// copy of the keeper shares it.
func (k Keeper) SetBalanceCheck(check func(ctx context.Context, beta math.LegacyDec) error) {
	*k.balance = check
}

// SetStakeHooks sets the commitment callbacks (x/rewards). Every copy of
// the keeper shares them. It panics if called twice (a wiring bug).
func (k Keeper) SetStakeHooks(h types.StakeHooks) {
	if *k.hooks != nil {
		panic("x/stake: hooks already set")
	}
	*k.hooks = h
}

func (k Keeper) stakeStarted(ctx context.Context, deviceID uint64, owner string) error {
	if h := *k.hooks; h != nil {
		return h.AfterStakeStarted(ctx, deviceID, owner)
	}
	return nil
}

func (k Keeper) stakeEnded(ctx context.Context, deviceID uint64) error {
	if h := *k.hooks; h != nil {
		return h.AfterStakeEnded(ctx, deviceID)
	}
	return nil
}
