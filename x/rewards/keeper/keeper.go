// Package keeper holds the x/rewards state machine: the collections schema,
// the Msg and Query servers and genesis import/export.
package keeper

import (
	"context"
	"fmt"

	"cosmossdk.io/collections"
	"cosmossdk.io/core/store"
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"
	"github.com/cosmos/cosmos-sdk/codec"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/loopin-project/loopin/x/rewards/types"
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

// Keeper owns the x/rewards store. Build it with NewKeeper; the zero value is
// not usable.
type Keeper struct {
	cdc           codec.BinaryCodec
	accountKeeper types.AccountKeeper
	bankKeeper    types.BankKeeper
	poolsKeeper   types.PoolsKeeper
	stakeKeeper   types.StakeKeeper
	pocpsKeeper   types.PocpsKeeper
	epochsKeeper  types.EpochsKeeper

	// authority is the bech32 address allowed to send MsgUpdateParams
	// (the x/gov module account by default).
	authority string

	// Schema lists every collection below, for genesis and indexers.
	Schema collections.Schema
	// Params holds the module parameters.
	Params collections.Item[types.Params]
	// Epochs records each epoch's emission and split.
	Epochs collections.Map[int64, types.EpochEmission]
	// Pending is what each address can claim, uloop.
	Pending collections.Map[sdk.AccAddress, math.Int]
	// Minted is C_minted per address (PoL), uloop.
	Minted collections.Map[sdk.AccAddress, math.Int]
	// Streams, Periods, RewardAccounts and Ended are the miners' and
	// clients' F1-style accounting (stream.go).
	Streams        collections.Map[uint32, types.Stream]
	Periods        collections.Map[collections.Pair[uint32, uint64], types.Period]
	RewardAccounts collections.Map[collections.Pair[uint32, uint64], types.RewardAccount]
	Ended          collections.KeySet[collections.Triple[uint32, uint64, uint64]]
	// PeriodRefs counts, per (stream, period), the accounts last settled
	// in that period: a closed period nobody refers to is never settled
	// against again (stream.go). Derived: InitGenesis rebuilds it.
	PeriodRefs collections.Map[collections.Pair[uint32, uint64], uint64]
	// EndedLeases holds the x/pools leases at or above the clients' lease
	// cursor that have ended and been paid, with their start (unix
	// seconds), until the cursor passes them (stream.go).
	EndedLeases collections.Map[uint64, int64]
}

// NewKeeper builds the x/rewards keeper on storeService. It panics when
// authority is not a valid account address, as x/staking's keeper does: that
// is a wiring bug, not a runtime condition.
//
// x/rewards only reads x/pools, x/stake and x/pocps, through the narrow
// interfaces of types/expected_keepers.go.
func NewKeeper(
	cdc codec.BinaryCodec, storeService store.KVStoreService, ak types.AccountKeeper, bk types.BankKeeper,
	pk types.PoolsKeeper, sk types.StakeKeeper, vk types.PocpsKeeper, ek types.EpochsKeeper, authority string,
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
		stakeKeeper:   sk,
		pocpsKeeper:   vk,
		epochsKeeper:  ek,
		authority:     authority,
		Params:        collections.NewItem(sb, types.ParamsKey, "params", codec.CollValue[types.Params](cdc)),
		Epochs:        collections.NewMap(sb, types.EpochsKey, "epochs", collections.Int64Key, codec.CollValue[types.EpochEmission](cdc)),
		Pending:       collections.NewMap(sb, types.PendingKey, "pending", sdk.AccAddressKey, sdk.IntValue),
		Minted:        collections.NewMap(sb, types.MintedKey, "minted", sdk.AccAddressKey, sdk.IntValue),
		Streams:       collections.NewMap(sb, types.StreamsKey, "streams", collections.Uint32Key, codec.CollValue[types.Stream](cdc)),
		Periods: collections.NewMap(sb, types.PeriodsKey, "periods",
			collections.PairKeyCodec(collections.Uint32Key, collections.Uint64Key), codec.CollValue[types.Period](cdc)),
		RewardAccounts: collections.NewMap(sb, types.RewardAccountsKey, "reward_accounts",
			collections.PairKeyCodec(collections.Uint32Key, collections.Uint64Key), codec.CollValue[types.RewardAccount](cdc)),
		Ended: collections.NewKeySet(sb, types.EndedKey, "ended",
			collections.TripleKeyCodec(collections.Uint32Key, collections.Uint64Key, collections.Uint64Key)),
		PeriodRefs: collections.NewMap(sb, types.PeriodRefsKey, "period_refs",
			collections.PairKeyCodec(collections.Uint32Key, collections.Uint64Key), collections.Uint64Value),
		EndedLeases: collections.NewMap(sb, types.EndedLeasesKey, "ended_leases", collections.Uint64Key, collections.Int64Value),
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

// GetParams returns the current x/rewards parameters, for other modules' keepers.
func (k Keeper) GetParams(ctx context.Context) (types.Params, error) {
	return k.Params.Get(ctx)
}
