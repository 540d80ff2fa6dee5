package keeper

import (
	"context"
	"errors"
	"time"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/loopin-project/loopin/proof"
	"github.com/loopin-project/loopin/x/pocps/types"
)

// device loads device id, mapping "not found" to ErrDeviceNotFound (the
// owner may have deregistered it while a challenge was pending).
func (k Keeper) device(ctx context.Context, id uint64) (types.Device, error) {
	d, err := k.Devices.Get(ctx, id)
	if errors.Is(err, collections.ErrNotFound) {
		return d, errorsmod.Wrapf(types.ErrDeviceNotFound, "device %d was deregistered", id)
	}
	return d, err
}

// GetDevice returns device id, for x/stake. Errors: ErrDeviceNotFound.
func (k Keeper) GetDevice(ctx context.Context, id uint64) (types.Device, error) {
	return k.device(ctx, id)
}

// SetDeviceStake records the x/stake certificate committing device id (0
// when the commitment ends); a committed device cannot be deregistered.
// Errors: ErrDeviceNotFound.
func (k Keeper) SetDeviceStake(ctx context.Context, id, stakeID uint64) error {
	d, err := k.device(ctx, id)
	if err != nil {
		return err
	}
	d.StakeId = stakeID
	return k.Devices.Set(ctx, id, d)
}

// RegisterDevice registers a GPU (x/pocps/README.md) and locks the
// registration deposit (returned at seal, burned if the setup fails). Its
// key is proof.DeviceKey(chain-id, owner, fingerprint, hash of block
// key_height). Errors, changing nothing: ErrInvalidDevice (malformed class,
// seal, endpoint, privacy, fingerprint), ErrFingerprintTaken (the owner
// already registered it), ErrKeyHeight, ErrNoVerifier, insufficient funds
// for the deposit.
func (k Keeper) RegisterDevice(ctx context.Context, msg *types.MsgRegisterDevice) (*types.MsgRegisterDeviceResponse, error) {
	owner, err := k.accountKeeper.AddressCodec().StringToBytes(msg.Owner)
	if err != nil {
		return nil, errorsmod.Wrapf(types.ErrInvalidDevice, "invalid owner address %q: %v", msg.Owner, err)
	}
	if err := types.ValidateClass(msg.GpuClass); err != nil {
		return nil, err
	}
	if len(msg.Fingerprint) != types.FingerprintSize {
		return nil, errorsmod.Wrapf(types.ErrInvalidDevice, "fingerprint must be %d bytes (SHA-256), got %d", types.FingerprintSize, len(msg.Fingerprint))
	}
	if err := msg.Seal.Validate(); err != nil {
		return nil, err
	}
	active, classSeal, _, err := k.poolsKeeper.ClassInfo(ctx, msg.GpuClass)
	if err != nil {
		return nil, errorsmod.Wrapf(types.ErrInvalidDevice, "gpu_class %q: %v", msg.GpuClass, err)
	}
	if !active {
		return nil, errorsmod.Wrapf(types.ErrInvalidDevice, "the %s pool takes no new devices (retiring or retired)", msg.GpuClass)
	}
	if msg.Seal.Params.ProofParams() != classSeal {
		return nil, errorsmod.Wrapf(types.ErrInvalidDevice, "seal params %+v differ from the %s pool's %+v", msg.Seal.Params.ProofParams(), msg.GpuClass, classSeal)
	}
	if err := types.ValidateEndpoint(msg.Endpoint); err != nil {
		return nil, err
	}
	if err := msg.Privacy.Validate(); err != nil {
		return nil, err
	}
	if _, err := k.Devices.Indexes.ByFingerprint.MatchExact(ctx, collections.Join(sdk.AccAddress(owner), msg.Fingerprint)); err == nil {
		return nil, errorsmod.Wrapf(types.ErrFingerprintTaken, "%s already registered fingerprint %X", msg.Owner, msg.Fingerprint)
	} else if !errors.Is(err, collections.ErrNotFound) {
		return nil, err
	}

	sdkCtx := sdk.UnwrapSDKContext(ctx)
	params, err := k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	height := sdkCtx.BlockHeight()
	if msg.KeyHeight >= height || msg.KeyHeight < height-int64(params.KeyWindow) {
		return nil, errorsmod.Wrapf(types.ErrKeyHeight, "key_height %d must be in [%d, %d] (the last key_window = %d blocks)",
			msg.KeyHeight, max(1, height-int64(params.KeyWindow)), height-1, params.KeyWindow)
	}
	blockHash, err := k.BlockHashes.Get(ctx, msg.KeyHeight)
	if errors.Is(err, collections.ErrNotFound) {
		return nil, errorsmod.Wrapf(types.ErrKeyHeight, "no block hash recorded for height %d", msg.KeyHeight)
	} else if err != nil {
		return nil, err
	}

	var fp, bh proof.Hash
	copy(fp[:], msg.Fingerprint)
	copy(bh[:], blockHash)
	key := proof.DeviceKey(sdkCtx.ChainID(), owner, fp, bh)

	id, err := k.DeviceSeq.Next(ctx)
	if err != nil {
		return nil, err
	}
	id++ // ids start at 1; 0 means "none" in references
	ownerStr, err := k.accountKeeper.AddressCodec().BytesToString(owner)
	if err != nil {
		return nil, err
	}
	device := types.Device{
		Id: id, Owner: ownerStr, DevicePubkey: msg.DevicePubkey, TlsCertHash: msg.TlsCertHash, GpuClass: msg.GpuClass, Fingerprint: msg.Fingerprint,
		Key: key[:], KeyHeight: msg.KeyHeight, Seal: msg.Seal, Endpoint: msg.Endpoint,
		Privacy: msg.Privacy, Status: types.DEVICE_STATUS_UNSEALED, RegisteredAt: sdkCtx.BlockTime(),
		W: math.ZeroInt(), Deposit: params.RegistrationDeposit,
	}
	if err := k.lockDeposit(ctx, owner, id, params.RegistrationDeposit); err != nil {
		return nil, err
	}
	if err := k.Devices.Set(ctx, id, device); err != nil {
		return nil, err
	}
	// The seal is checked before the device may be staked: a verifier gets
	// its setup challenge now (none eligible: the registration fails).
	if _, err := k.issueChallenge(ctx, device, types.CHALLENGE_KIND_SETUP, nil, nil, nil); err != nil {
		return nil, err
	}
	if err := sdkCtx.EventManager().EmitTypedEvent(&types.EventDeviceRegistered{
		DeviceId: id, Owner: ownerStr, GpuClass: msg.GpuClass, Key: key[:],
	}); err != nil {
		return nil, err
	}
	return &types.MsgRegisterDeviceResponse{DeviceId: id, Key: key[:]}, nil
}

// ownedDevice loads a device and checks that owner owns it (addresses
// compared as bytes: a differently cased bech32 string is the same owner).
func (k Keeper) ownedDevice(ctx context.Context, id uint64, owner string) (types.Device, error) {
	device, err := k.Devices.Get(ctx, id)
	if errors.Is(err, collections.ErrNotFound) {
		return device, errorsmod.Wrapf(types.ErrDeviceNotFound, "device %d", id)
	} else if err != nil {
		return device, err
	}
	ac := k.accountKeeper.AddressCodec()
	want, err1 := ac.StringToBytes(device.Owner)
	got, err2 := ac.StringToBytes(owner)
	if err1 != nil || err2 != nil || !sdk.AccAddress(want).Equals(sdk.AccAddress(got)) {
		return device, errorsmod.Wrapf(types.ErrNotOwner, "device %d belongs to %s", id, device.Owner)
	}
	return device, nil
}

// UpdateDevice changes a device's endpoint and privacy report, and its
// pinned TLS certificate hash when the message carries one. Errors:
// ErrDeviceNotFound, ErrNotOwner, ErrInvalidDevice.
func (k Keeper) UpdateDevice(ctx context.Context, msg *types.MsgUpdateDevice) (*types.MsgUpdateDeviceResponse, error) {
	device, err := k.ownedDevice(ctx, msg.DeviceId, msg.Owner)
	if err != nil {
		return nil, err
	}
	if err := types.ValidateEndpoint(msg.Endpoint); err != nil {
		return nil, err
	}
	if err := msg.Privacy.Validate(); err != nil {
		return nil, err
	}
	if n := len(msg.TlsCertHash); n != 0 && n != types.HashSize {
		return nil, errorsmod.Wrapf(types.ErrInvalidDevice, "tls_cert_hash must be empty (unchanged) or %d bytes, got %d", types.HashSize, n)
	} else if n != 0 {
		device.TlsCertHash = msg.TlsCertHash
	}
	device.Endpoint, device.Privacy = msg.Endpoint, msg.Privacy
	if err := k.Devices.Set(ctx, device.Id, device); err != nil {
		return nil, err
	}
	if err := sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventDeviceUpdated{
		DeviceId: device.Id, Endpoint: device.Endpoint, PrivacyLevel: device.Privacy.Level,
	}); err != nil {
		return nil, err
	}
	return &types.MsgUpdateDeviceResponse{}, nil
}

// DeregisterDevice removes a device no stake commits. An unsealed device's
// deposit is burned (the setup it asked for was never completed); a sealed
// one's was returned at seal. Errors: ErrDeviceNotFound, ErrNotOwner,
// ErrDeviceCommitted.
func (k Keeper) DeregisterDevice(ctx context.Context, msg *types.MsgDeregisterDevice) (*types.MsgDeregisterDeviceResponse, error) {
	device, err := k.ownedDevice(ctx, msg.DeviceId, msg.Owner)
	if err != nil {
		return nil, err
	}
	if device.StakeId != 0 {
		return nil, errorsmod.Wrapf(types.ErrDeviceCommitted, "device %d is committed by stake %d until it ends", device.Id, device.StakeId)
	}
	if err := k.burnDeposit(ctx, &device, "deregistered unsealed"); err != nil {
		return nil, err
	}
	if err := k.removeDevice(ctx, device.Id); err != nil {
		return nil, err
	}
	if err := sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventDeviceDeregistered{
		DeviceId: device.Id, Owner: device.Owner,
	}); err != nil {
		return nil, err
	}
	return &types.MsgDeregisterDeviceResponse{}, nil
}

// LastPass returns when device id last proved itself: its last passed
// residency challenge, or its seal when none has passed since (zero time:
// never sealed). x/pools prefers recently verified devices when matching
// and x/stake claws back lease revenue released since then. It reads the
// compact LastPasses index (one key of 17 bytes); a device without an
// entry there (never sealed, or state written before the index) is read
// from its record. Errors: ErrDeviceNotFound.
func (k Keeper) LastPass(ctx context.Context, id uint64) (time.Time, error) {
	ns, err := k.LastPasses.Get(ctx, id)
	if err == nil {
		return time.Unix(0, ns).UTC(), nil
	} else if !errors.Is(err, collections.ErrNotFound) {
		return time.Time{}, err
	}
	d, err := k.device(ctx, id)
	if err != nil {
		return time.Time{}, err
	}
	return lastPassOf(d), nil
}

// lastPassOf is max(d.LastVerified, d.SealedAt), what LastPasses holds for d.
func lastPassOf(d types.Device) time.Time {
	if d.LastVerified.After(d.SealedAt) {
		return d.LastVerified
	}
	return d.SealedAt
}

// recordPass notes in LastPasses that device id proved itself (sealed or
// passed a residency challenge) at at. It writes nothing in the
// `loopin_v1` build (indexLastPasses, release_v1.go).
func (k Keeper) recordPass(ctx context.Context, id uint64, at time.Time) error {
	if !indexLastPasses {
		return nil
	}
	return k.LastPasses.Set(ctx, id, at.UnixNano())
}

// removeDevice deletes device id's record and its LastPasses entry.
func (k Keeper) removeDevice(ctx context.Context, id uint64) error {
	if err := k.Devices.Remove(ctx, id); err != nil {
		return err
	}
	return k.LastPasses.Remove(ctx, id)
}

// ChallengeDevice issues a residency challenge of sealed device id now,
// unless one of its challenges is already pending (its id is returned
// then, and nothing changes). x/stake calls it for the final challenge of
// a sale; a client's "no access" report (MsgReportLease) calls it too.
// Errors: ErrDeviceNotFound, ErrInvalidDevice (not sealed), ErrNoVerifier.
func (k Keeper) ChallengeDevice(ctx context.Context, id uint64) (uint64, error) {
	if pending, err := k.pendingChallenge(ctx, id); err != nil || pending != 0 {
		return pending, err
	}
	return k.challengeSealed(ctx, id)
}

// challengeSealed issues a residency challenge of sealed device id now.
// Errors: ErrDeviceNotFound, ErrInvalidDevice (not sealed), ErrNoVerifier.
func (k Keeper) challengeSealed(ctx context.Context, id uint64) (uint64, error) {
	d, err := k.device(ctx, id)
	if err != nil {
		return 0, err
	}
	if d.Status != types.DEVICE_STATUS_SEALED {
		return 0, errorsmod.Wrapf(types.ErrInvalidDevice, "device %d is %s: only a sealed device is challenged", id, d.Status)
	}
	c, err := k.issueChallenge(ctx, d, types.CHALLENGE_KIND_RESIDENCY, nil, nil, nil)
	return c.Id, err
}

// pendingChallenge returns the id of device id's newest challenge if it is
// still pending, else 0: one index seek and one record read.
func (k Keeper) pendingChallenge(ctx context.Context, id uint64) (uint64, error) {
	it, err := k.Challenges.Indexes.ByDevice.Iterate(ctx, collections.NewPrefixedPairRange[uint64, uint64](id).Descending())
	if err != nil {
		return 0, err
	}
	defer it.Close()
	if !it.Valid() {
		return 0, nil
	}
	pk, err := it.PrimaryKey()
	if err != nil {
		return 0, err
	}
	c, err := k.Challenges.Get(ctx, pk)
	if err != nil || c.Status != types.CHALLENGE_STATUS_PENDING {
		return 0, err
	}
	return c.Id, nil
}
