// Package keeper holds the x/pools state machine: the collections schema,
// the Msg and Query servers and genesis import/export.
package keeper

import (
	"context"
	"fmt"

	"cosmossdk.io/collections"
	"cosmossdk.io/collections/indexes"
	"cosmossdk.io/core/store"

	"github.com/cosmos/cosmos-sdk/codec"

	"github.com/loopin-project/loopin/x/pools/types"
)

// Keeper owns the x/pools store. Build it with NewKeeper; the zero value is
// not usable.
type Keeper struct {
	cdc           codec.BinaryCodec
	accountKeeper types.AccountKeeper

	// authority is the bech32 address allowed to send MsgUpdateParams
	// (the x/gov module account by default).
	authority string

	// Schema lists every collection below, for genesis and indexers.
	Schema collections.Schema
	// Params holds the module parameters.
	Params collections.Item[types.Params]
	// PoolSeq is the next pool id − 1.
	PoolSeq collections.Sequence
	// Pools holds every pool, indexed by GPU class (unique).
	Pools *collections.IndexedMap[uint64, types.Pool, PoolIndexes]
}

// PoolIndexes are the secondary indexes of Pools.
type PoolIndexes struct {
	ByClass *indexes.Unique[string, uint64, types.Pool]
}

// IndexesList implements collections.Indexes.
func (i PoolIndexes) IndexesList() []collections.Index[uint64, types.Pool] {
	return []collections.Index[uint64, types.Pool]{i.ByClass}
}

// NewKeeper builds the x/pools keeper on storeService. It panics when
// authority is not a valid account address, as x/staking's keeper does: that
// is a wiring bug, not a runtime condition.
func NewKeeper(cdc codec.BinaryCodec, storeService store.KVStoreService, ak types.AccountKeeper, authority string) Keeper {
	if _, err := ak.AddressCodec().StringToBytes(authority); err != nil {
		panic(fmt.Errorf("x/%s: invalid authority address %q: %w", types.ModuleName, authority, err))
	}
	sb := collections.NewSchemaBuilder(storeService)
	k := Keeper{
		cdc:           cdc,
		accountKeeper: ak,
		authority:     authority,
		Params:        collections.NewItem(sb, types.ParamsKey, "params", codec.CollValue[types.Params](cdc)),
		PoolSeq:       collections.NewSequence(sb, types.PoolSeqKey, "pool_seq"),
		Pools: collections.NewIndexedMap(sb, types.PoolsKey, "pools", collections.Uint64Key, codec.CollValue[types.Pool](cdc),
			PoolIndexes{ByClass: indexes.NewUnique(sb, types.PoolsByClassKey, "pools_by_class", collections.StringKey, collections.Uint64Key,
				func(_ uint64, p types.Pool) (string, error) { return p.GpuClass, nil })}),
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

// GetParams returns the current x/pools parameters, for other modules' keepers.
func (k Keeper) GetParams(ctx context.Context) (types.Params, error) {
	return k.Params.Get(ctx)
}
