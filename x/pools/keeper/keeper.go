// Package keeper holds the x/pools state machine: the collections schema,
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
	"github.com/loopin-project/loopin/x/pools/types"
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

// Keeper owns the x/pools store. Build it with NewKeeper; the zero value is
// not usable.
type Keeper struct {
	cdc           codec.BinaryCodec
	accountKeeper types.AccountKeeper
	bankKeeper    types.BankKeeper
	// hooks are told of lease ends (x/rewards); nil calls nothing.
	hooks types.PoolsHooks
	// liveness tells when a device last passed a challenge (x/pocps), for
	// matching; nil matches by commitment alone.
	liveness types.LivenessReader

	// authority is the bech32 address allowed to send MsgUpdateParams
	// (the x/gov module account by default).
	authority string

	// Schema lists every collection below, for genesis and indexers.
	Schema collections.Schema
	// Params holds the module parameters.
	Params collections.Item[types.Params]
	// PoolSeq is the next pool id − 1.
	PoolSeq collections.Sequence
	// Pools holds every pool's id, class, status, reserves and indices —
	// what trades rewrite.
	Pools collections.Map[uint64, types.Pool]
	// GpuClasses holds each pool's static class record (reference price,
	// W_bench, seal sizes, deadlines), written only when the pool is
	// created; read it through GPUClass.
	GpuClasses collections.Map[uint64, types.GpuClass]
	// ClassIndex maps a GPU class to its pool id (unique), written when a
	// pool is created.
	ClassIndex collections.Map[string, uint64]

	// Positions maps device id → the committed device's Position.
	Positions collections.Map[uint64, types.Position]
	// Idle indexes idle devices by (pool, commitment end unix, device).
	Idle collections.KeySet[collections.Triple[uint64, int64, uint64]]
	// LeaseSeq is the last lease id.
	LeaseSeq collections.Sequence
	// Leases holds every lease.
	Leases collections.Map[uint64, types.Lease]
	// LeasesByClient and LeasesByDevice index leases; written once when a
	// lease is bought (client and device never change), so lease updates
	// cost no index work.
	LeasesByClient collections.KeySet[collections.Pair[sdk.AccAddress, uint64]]
	LeasesByDevice collections.KeySet[collections.Pair[uint64, uint64]]
	// Queue holds (pool, unix seconds, types.QueueEntry(kind, id)) of every
	// lease end and commitment end still to come, per pool in time order;
	// BeginBlock applies what is due, at most types.MaxQueueBatch per pool.
	Queue collections.KeySet[collections.Triple[uint64, int64, uint64]]
	// PruneQueue holds (unix seconds, lease id) of every closed lease: when
	// it is pruned (closed + lease_retention). BeginBlock prunes what is
	// due, at most types.MaxPruneBatch per block.
	PruneQueue collections.KeySet[collections.Pair[int64, uint64]]
	// Snapshots maps (pool, unix seconds) → Π at an epoch end (TWAP).
	Snapshots collections.Map[collections.Pair[uint64, int64], math.Int]
}

// NewKeeper builds the x/pools keeper on storeService. hooks receive the
// lease callbacks (the app passes x/rewards'; nil for none); liveness tells
// matching when a device last passed a challenge (the app passes an adapter
// to x/pocps, which is built after this keeper; nil matches by commitment
// alone). It panics when authority is not a valid account address, as
// x/staking's keeper does: that is a wiring bug, not a runtime condition.
func NewKeeper(cdc codec.BinaryCodec, storeService store.KVStoreService, ak types.AccountKeeper, bk types.BankKeeper, hooks types.PoolsHooks,
	liveness types.LivenessReader, authority string) Keeper {
	if _, err := ak.AddressCodec().StringToBytes(authority); err != nil {
		panic(fmt.Errorf("x/%s: invalid authority address %q: %w", types.ModuleName, authority, err))
	}
	sb := collections.NewSchemaBuilder(storeService)
	k := Keeper{
		cdc:           cdc,
		accountKeeper: ak,
		bankKeeper:    bk,
		hooks:         hooks,
		liveness:      liveness,
		authority:     authority,
		Params:        collections.NewItem(sb, types.ParamsKey, "params", codec.CollValue[types.Params](cdc)),
		PoolSeq:       collections.NewSequence(sb, types.PoolSeqKey, "pool_seq"),
		Pools:         collections.NewMap(sb, types.PoolsKey, "pools", collections.Uint64Key, codec.CollValue[types.Pool](cdc)),
		GpuClasses:    collections.NewMap(sb, types.GpuClassesKey, "gpu_classes", collections.Uint64Key, codec.CollValue[types.GpuClass](cdc)),
		ClassIndex:    collections.NewMap(sb, types.PoolsByClassKey, "pools_by_class", collections.StringKey, collections.Uint64Value),
		Positions:     collections.NewMap(sb, types.PositionsKey, "positions", collections.Uint64Key, codec.CollValue[types.Position](cdc)),
		Idle: collections.NewKeySet(sb, types.IdleKey, "idle",
			collections.TripleKeyCodec(collections.Uint64Key, collections.Int64Key, collections.Uint64Key)),
		LeaseSeq: collections.NewSequence(sb, types.LeaseSeqKey, "lease_seq"),
		Leases:   collections.NewMap(sb, types.LeasesKey, "leases", collections.Uint64Key, codec.CollValue[types.Lease](cdc)),
		LeasesByClient: collections.NewKeySet(sb, types.LeasesByClientKey, "leases_by_client",
			collections.PairKeyCodec(sdk.AccAddressKey, collections.Uint64Key)),
		LeasesByDevice: collections.NewKeySet(sb, types.LeasesByDeviceKey, "leases_by_device",
			collections.PairKeyCodec(collections.Uint64Key, collections.Uint64Key)),
		Queue: collections.NewKeySet(sb, types.QueueKey, "queue",
			collections.TripleKeyCodec(collections.Uint64Key, collections.Int64Key, collections.Uint64Key)),
		PruneQueue: collections.NewKeySet(sb, types.PruneQueueKey, "prune_queue",
			collections.PairKeyCodec(collections.Int64Key, collections.Uint64Key)),
		Snapshots: collections.NewMap(sb, types.SnapshotsKey, "snapshots",
			collections.PairKeyCodec(collections.Uint64Key, collections.Int64Key), sdk.IntValue),
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
