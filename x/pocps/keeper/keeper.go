// Package keeper holds the x/pocps state machine: the collections schema,
// the Msg and Query servers and genesis import/export.
package keeper

import (
	"context"
	"fmt"

	"cosmossdk.io/collections"
	"cosmossdk.io/collections/indexes"
	"cosmossdk.io/core/address"
	"cosmossdk.io/core/store"
	errorsmod "cosmossdk.io/errors"
	"github.com/cosmos/cosmos-sdk/codec"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/loopin-project/loopin/x/pocps/types"
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

// Keeper owns the x/pocps store. Build it with NewKeeper; the zero value is
// not usable.
type Keeper struct {
	cdc           codec.BinaryCodec
	accountKeeper types.AccountKeeper
	bankKeeper    types.BankKeeper
	stakingKeeper types.StakingKeeper
	poolsKeeper   types.PoolsKeeper

	// hooks are called on confirmed failures and passed challenges (x/stake,
	// x/rewards); nil calls nothing.
	hooks types.PocpsHooks
	// loyalty gives PoL's inputs C_minted and C_held (x/rewards); nil makes
	// C_minted = 0 and PoL = 1.
	loyalty types.LoyaltyKeeper

	// authority is the bech32 address allowed to send MsgUpdateParams
	// (the x/gov module account by default).
	authority string

	// Schema lists every collection below, for genesis and indexers.
	Schema collections.Schema
	// Params holds the module parameters.
	Params collections.Item[types.Params]
	// DeviceSeq is the next device id (ids start at 1).
	DeviceSeq collections.Sequence
	// Devices holds every registered device, indexed by owner and by
	// (owner, fingerprint), unique: a fingerprint copied from the mempool
	// by another account does not block its owner.
	Devices *collections.IndexedMap[uint64, types.Device, DeviceIndexes]
	// BlockHashes holds the hash of each of the last key_window blocks, the
	// anchors of device keys.
	BlockHashes collections.Map[int64, []byte]
	// Verifiers holds the registered verifiers by validator operator
	// address, indexed by hot key (unique).
	Verifiers *collections.IndexedMap[sdk.ValAddress, types.Verifier, VerifierIndexes]
	// ChallengeSeq is the next challenge id − 1.
	ChallengeSeq collections.Sequence
	// Challenges holds every challenge, indexed by device and by verifier.
	Challenges *collections.IndexedMap[uint64, types.Challenge, ChallengeIndexes]
	// DeadlineQueue orders pending challenges by deadline: a block touches
	// only the challenges whose deadline it passes.
	DeadlineQueue collections.KeySet[collections.Pair[int64, uint64]]
	// Schedule orders sealed devices by the epoch they are next due: an
	// epoch end touches only the devices due in it.
	Schedule collections.KeySet[collections.Pair[int64, uint64]]
	// CurrentEpoch is the last ended `loopin` epoch.
	CurrentEpoch collections.Item[int64]
	// Reports counts each verifier's accepted reports per epoch, for
	// x/rewards' verifier share; epochs older than two are pruned.
	Reports collections.Map[collections.Pair[int64, sdk.ValAddress], uint64]
	// Beacon is the randomness beacon (docs/pocps.md §14): each accepted
	// report mixes in its verifier's VRF output (proof.NextBeacon).
	Beacon collections.Item[[]byte]
	// DrawSeed is the seed of the current block's draws (verifier
	// assignment, schedule offsets), proof.BlockDrawSeed of the beacon at
	// BeginBlock: no transaction of the block, and not its header, moves it.
	DrawSeed collections.Item[[]byte]
	// DevicePrune orders FAILED devices by when they are pruned (unix
	// seconds: failed_at + device_retention, id).
	DevicePrune collections.KeySet[collections.Pair[int64, uint64]]
	// ChallengePrune orders closed challenges by when they are pruned
	// (closed_at + challenge_retention, id).
	ChallengePrune collections.KeySet[collections.Pair[int64, uint64]]
	// Misses holds each validator's decayed count of missed deadlines; it
	// outlives the Verifier record (docs/pocps.md §15).
	Misses collections.Map[sdk.ValAddress, types.VerifierMisses]
	// LastPasses maps device id → unix nanoseconds of the device's last
	// passed residency challenge or, when none passed since, its seal: the
	// compact copy of max(last_verified, sealed_at) that LastPass reads
	// (x/pools reads it for every device it weighs when matching a lease,
	// so it is one small record instead of the whole device). Written where
	// a seal or pass is recorded, removed with the device, derived from the
	// devices at InitGenesis (not exported).
	LastPasses collections.Map[uint64, int64]
}

// ChallengeIndexes are the secondary indexes of Challenges.
type ChallengeIndexes struct {
	ByDevice   *indexes.Multi[uint64, uint64, types.Challenge]
	ByVerifier *indexes.Multi[sdk.ValAddress, uint64, types.Challenge]
}

// IndexesList implements collections.Indexes.
func (i ChallengeIndexes) IndexesList() []collections.Index[uint64, types.Challenge] {
	return []collections.Index[uint64, types.Challenge]{i.ByDevice, i.ByVerifier}
}

// VerifierIndexes are the secondary indexes of Verifiers.
type VerifierIndexes struct {
	// ByHotKey finds the verifier a sidecar key signs for; unique.
	ByHotKey *indexes.Unique[sdk.AccAddress, sdk.ValAddress, types.Verifier]
}

// IndexesList implements collections.Indexes.
func (i VerifierIndexes) IndexesList() []collections.Index[sdk.ValAddress, types.Verifier] {
	return []collections.Index[sdk.ValAddress, types.Verifier]{i.ByHotKey}
}

// DeviceIndexes are the secondary indexes of Devices.
type DeviceIndexes struct {
	// ByOwner lists an owner's devices.
	ByOwner *indexes.Multi[sdk.AccAddress, uint64, types.Device]
	// ByFingerprint finds an owner's device of a fingerprint; unique.
	ByFingerprint *indexes.Unique[collections.Pair[sdk.AccAddress, []byte], uint64, types.Device]
}

// IndexesList implements collections.Indexes.
func (i DeviceIndexes) IndexesList() []collections.Index[uint64, types.Device] {
	return []collections.Index[uint64, types.Device]{i.ByOwner, i.ByFingerprint}
}

func newDeviceIndexes(sb *collections.SchemaBuilder, ac address.Codec) DeviceIndexes {
	return DeviceIndexes{
		ByOwner: indexes.NewMulti(sb, types.DevicesByOwnerKey, "devices_by_owner", sdk.AccAddressKey, collections.Uint64Key,
			func(_ uint64, d types.Device) (sdk.AccAddress, error) { return ac.StringToBytes(d.Owner) }),
		ByFingerprint: indexes.NewUnique(sb, types.DevicesByFingerprintKey, "devices_by_fingerprint",
			collections.PairKeyCodec(sdk.AccAddressKey, collections.BytesKey), collections.Uint64Key,
			func(_ uint64, d types.Device) (collections.Pair[sdk.AccAddress, []byte], error) {
				owner, err := ac.StringToBytes(d.Owner)
				return collections.Join(sdk.AccAddress(owner), d.Fingerprint), err
			}),
	}
}

// NewKeeper builds the x/pocps keeper on storeService. It panics when
// authority is not a valid account address, as x/staking's keeper does: that
// is a wiring bug, not a runtime condition.
//
// x/pocps reads x/staking (a verifier must be a bonded validator) and
// x/pools (the class's pool, seal sizes and W_bench), and is told of
// unbonding through StakingHooks. loyalty gives PoL's inputs (x/rewards)
// and hooks are called on failures and passes (x/stake, x/rewards); either
// may be nil.
func NewKeeper(cdc codec.BinaryCodec, storeService store.KVStoreService, ak types.AccountKeeper, bk types.BankKeeper, sk types.StakingKeeper, pk types.PoolsKeeper,
	loyalty types.LoyaltyKeeper, hooks types.PocpsHooks, authority string,
) Keeper {
	if _, err := ak.AddressCodec().StringToBytes(authority); err != nil {
		panic(fmt.Errorf("x/%s: invalid authority address %q: %w", types.ModuleName, authority, err))
	}
	sb := collections.NewSchemaBuilder(storeService)
	k := Keeper{
		loyalty:       loyalty,
		hooks:         hooks,
		cdc:           cdc,
		accountKeeper: ak,
		bankKeeper:    bk,
		stakingKeeper: sk,
		poolsKeeper:   pk,
		authority:     authority,
		Params:        collections.NewItem(sb, types.ParamsKey, "params", codec.CollValue[types.Params](cdc)),
		DeviceSeq:     collections.NewSequence(sb, types.DeviceSeqKey, "device_seq"),
		Devices: collections.NewIndexedMap(sb, types.DevicesKey, "devices", collections.Uint64Key,
			codec.CollValue[types.Device](cdc), newDeviceIndexes(sb, ak.AddressCodec())),
		BlockHashes: collections.NewMap(sb, types.BlockHashesKey, "block_hashes", collections.Int64Key, collections.BytesValue),
		Beacon:      collections.NewItem(sb, types.BeaconKey, "beacon", collections.BytesValue),
		DrawSeed:    collections.NewItem(sb, types.DrawSeedKey, "draw_seed", collections.BytesValue),
		Verifiers: collections.NewIndexedMap(sb, types.VerifiersKey, "verifiers", sdk.ValAddressKey,
			codec.CollValue[types.Verifier](cdc), VerifierIndexes{
				ByHotKey: indexes.NewUnique(sb, types.VerifiersByHotKeyKey, "verifiers_by_hot_key", sdk.AccAddressKey, sdk.ValAddressKey,
					func(_ sdk.ValAddress, v types.Verifier) (sdk.AccAddress, error) {
						return ak.AddressCodec().StringToBytes(v.HotKey)
					}),
			}),
		ChallengeSeq: collections.NewSequence(sb, types.ChallengeSeqKey, "challenge_seq"),
		Challenges: collections.NewIndexedMap(sb, types.ChallengesKey, "challenges", collections.Uint64Key,
			codec.CollValue[types.Challenge](cdc), ChallengeIndexes{
				ByDevice: indexes.NewMulti(sb, types.ChallengesByDeviceKey, "challenges_by_device", collections.Uint64Key, collections.Uint64Key,
					func(_ uint64, c types.Challenge) (uint64, error) { return c.DeviceId, nil }),
				ByVerifier: indexes.NewMulti(sb, types.ChallengesByVerifierKey, "challenges_by_verifier", sdk.ValAddressKey, collections.Uint64Key,
					func(_ uint64, c types.Challenge) (sdk.ValAddress, error) {
						return sk.ValidatorAddressCodec().StringToBytes(c.Verifier)
					}),
			}),
		DeadlineQueue: collections.NewKeySet(sb, types.DeadlineQueueKey, "deadline_queue",
			collections.PairKeyCodec(collections.Int64Key, collections.Uint64Key)),
		Schedule: collections.NewKeySet(sb, types.ScheduleKey, "schedule",
			collections.PairKeyCodec(collections.Int64Key, collections.Uint64Key)),
		CurrentEpoch: collections.NewItem(sb, types.CurrentEpochKey, "current_epoch", collections.Int64Value),
		Reports: collections.NewMap(sb, types.ReportsKey, "reports",
			collections.PairKeyCodec(collections.Int64Key, sdk.ValAddressKey), collections.Uint64Value),
		DevicePrune: collections.NewKeySet(sb, types.DevicePruneKey, "device_prune",
			collections.PairKeyCodec(collections.Int64Key, collections.Uint64Key)),
		ChallengePrune: collections.NewKeySet(sb, types.ChallengePruneKey, "challenge_prune",
			collections.PairKeyCodec(collections.Int64Key, collections.Uint64Key)),
		Misses:     collections.NewMap(sb, types.MissesKey, "misses", sdk.ValAddressKey, codec.CollValue[types.VerifierMisses](cdc)),
		LastPasses: collections.NewMap(sb, types.LastPassesKey, "last_passes", collections.Uint64Key, collections.Int64Value),
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

// GetParams returns the current x/pocps parameters, for other modules' keepers.
func (k Keeper) GetParams(ctx context.Context) (types.Params, error) {
	return k.Params.Get(ctx)
}
