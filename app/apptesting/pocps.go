package apptesting

import (
	"crypto/sha256"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	epochstypes "github.com/cosmos/cosmos-sdk/x/epochs/types"

	"github.com/loopin-project/loopin/app"
	"github.com/loopin-project/loopin/proof"
	chaintypes "github.com/loopin-project/loopin/types"
	pocpskeeper "github.com/loopin-project/loopin/x/pocps/keeper"
	pocpstypes "github.com/loopin-project/loopin/x/pocps/types"
)

// VerifierHotKey is the hot key WithVerifier registers.
var VerifierHotKey = sdk.AccAddress([]byte("verifier_hot_key____"))

// ShortEpochs returns a genesis edit that sets a 10 s `loopin` epoch, a
// residency challenge every epoch (challenge_interval 1) and the given
// confirmations.
func ShortEpochs(confirmations uint32) func(app.GenesisState) {
	return func(gs app.GenesisState) {
		cdc := app.MakeEncodingConfig().Codec
		epochs := epochstypes.GenesisState{Epochs: []epochstypes.EpochInfo{epochstypes.NewGenesisEpochInfo(chaintypes.EpochIdentifier, 10*time.Second)}}
		gs[epochstypes.ModuleName] = cdc.MustMarshalJSON(&epochs)
		var pg pocpstypes.GenesisState
		cdc.MustUnmarshalJSON(gs[pocpstypes.ModuleName], &pg)
		pg.Params.ChallengeInterval = 1
		pg.Params.Confirmations = confirmations
		gs[pocpstypes.ModuleName] = cdc.MustMarshalJSON(&pg)
	}
}

// Fingerprint is the device fingerprint named s: its SHA-256.
func Fingerprint(s string) []byte { h := sha256.Sum256([]byte(s)); return h[:] }

// GenesisValidator returns the TestChain's only bonded validator; it fails
// the test if there is not exactly one.
func GenesisValidator(t testing.TB, c *TestChain) sdk.ValAddress {
	t.Helper()
	vals := GenesisValidators(t, c)
	require.Len(t, vals, 1)
	return vals[0]
}

// GenesisValidators returns the TestChain's bonded validators, in the
// staking keeper's order.
func GenesisValidators(t testing.TB, c *TestChain) []sdk.ValAddress {
	t.Helper()
	vals, err := c.StakingKeeper.GetAllValidators(c.Ctx())
	require.NoError(t, err)
	var out []sdk.ValAddress
	for _, v := range vals {
		addr, err := c.StakingKeeper.ValidatorAddressCodec().StringToBytes(v.OperatorAddress)
		require.NoError(t, err)
		out = append(out, addr)
	}
	return out
}

// WithVerifier registers the genesis validator's verifier (the only one)
// with hot key VerifierHotKey through the Msg router, and returns the hot
// key. It fails the test unless the chain has one validator.
func WithVerifier(t testing.TB, c *TestChain) sdk.AccAddress {
	t.Helper()
	return WithVerifierKey(t, c, VerifierHotKey)
}

// WithVerifierKey is WithVerifier with the hot key hot.
func WithVerifierKey(t testing.TB, c *TestChain, hot sdk.AccAddress) sdk.AccAddress {
	t.Helper()
	val := GenesisValidator(t, c)
	_, err := Deliver(c, c.Ctx(), &pocpstypes.MsgRegisterVerifier{Operator: sdk.AccAddress(val).String(), HotKey: hot.String(), Endpoint: "verifier:9500"})
	require.NoError(t, err)
	return hot
}

// SealFor seals a tiny device the way a miner would before registering:
// for owner on this chain, with the key anchored to the hash of block
// keyHeight. It returns the sealing and its commitment for MsgRegisterDevice.
func SealFor(t testing.TB, c *TestChain, owner sdk.AccAddress, fp []byte, keyHeight int64) (*proof.Sealing, pocpstypes.SealCommitment) {
	t.Helper()
	var f, bh proof.Hash
	copy(f[:], fp)
	copy(bh[:], BlockHash(keyHeight))
	ek := proof.DeviceKey(c.ChainID(), owner, f, bh)
	s, err := proof.Seal(proof.TinyParams(), ek, nil)
	require.NoError(t, err)
	commit := pocpstypes.SealCommitment{Params: pocpstypes.SealParamsFromProof(s.Params)}
	for _, r := range s.Commitment().LayerRoots {
		commit.LayerRoots = append(commit.LayerRoots, append([]byte(nil), r[:]...))
	}
	return s, commit
}

// RegisterMsg is the MsgRegisterDevice of an rtx-4090 owned by owner with
// fingerprint fp, keyed at keyHeight and sealed as seal.
func RegisterMsg(owner sdk.AccAddress, fp []byte, keyHeight int64, seal pocpstypes.SealCommitment) *pocpstypes.MsgRegisterDevice {
	return &pocpstypes.MsgRegisterDevice{
		Owner: owner.String(), GpuClass: "rtx-4090", Fingerprint: fp, KeyHeight: keyHeight,
		Seal: seal, Endpoint: "miner.example:9400", Privacy: pocpstypes.PrivacyReport{Level: 80, Details: "disk encryption"},
	}
}

// RegisterSealed seals and registers a tiny device of fingerprint name for
// c.Funded, keyed at the last block, and returns its sealing and the setup
// challenge the chain issued. It fails the test if registration fails or
// the chain issued anything but one setup challenge.
func RegisterSealed(t testing.TB, c *TestChain, name string) (*proof.Sealing, pocpstypes.Challenge) {
	t.Helper()
	h := c.LastBlockHeight()
	fp := Fingerprint(name)
	sealing, commit := SealFor(t, c, c.Funded, fp, h)
	res, err := Deliver(c, c.Ctx(), RegisterMsg(c.Funded, fp, h, commit))
	require.NoError(t, err)
	var resp pocpstypes.MsgRegisterDeviceResponse
	require.NoError(t, c.AppCodec().Unmarshal(res.MsgResponses[0].Value, &resp))
	q := pocpskeeper.NewQuerier(c.PocpsKeeper)
	cs, err := q.ChallengesByDevice(c.Ctx(), &pocpstypes.QueryChallengesByDeviceRequest{DeviceId: resp.DeviceId})
	require.NoError(t, err)
	require.Len(t, cs.Challenges, 1)
	require.Equal(t, pocpstypes.CHALLENGE_KIND_SETUP, cs.Challenges[0].Kind)
	return sealing, cs.Challenges[0]
}

// SetupProofBytes is the encoded setup proof of s for the seed of block
// seedHeight, as the verifier submits it in MsgSubmitSetupResult.
func SetupProofBytes(t testing.TB, s *proof.Sealing, seedHeight int64) []byte {
	t.Helper()
	var seed proof.Hash
	copy(seed[:], BlockHash(seedHeight))
	pf, err := s.ProveSetup(seed)
	require.NoError(t, err)
	bz, err := pf.MarshalBinary()
	require.NoError(t, err)
	return bz
}

// SealedDevice registers and seals the device "gpu-0" for c.Funded, the
// setup report sent by hot (the assigned verifier's hot key), two blocks
// later. It returns the sealing (setup layers discarded) and the device id.
func SealedDevice(t testing.TB, c *TestChain, hot sdk.AccAddress) (*proof.Sealing, uint64) {
	t.Helper()
	return SealedNamed(t, c, hot, "gpu-0")
}

// SealedNamed is SealedDevice for the device of fingerprint name.
func SealedNamed(t testing.TB, c *TestChain, hot sdk.AccAddress, name string) (*proof.Sealing, uint64) {
	t.Helper()
	sealing, ch := RegisterSealed(t, c, name)
	c.NextBlock(t, time.Second)
	c.NextBlock(t, time.Second)
	_, err := Deliver(c, c.Ctx(), &pocpstypes.MsgSubmitSetupResult{HotKey: hot.String(), ChallengeId: ch.Id, Proof: SetupProofBytes(t, sealing, ch.SeedHeight)})
	require.NoError(t, err)
	sealing.Discard()
	return sealing, ch.DeviceId
}

// NextResidencyChallenge advances one-second blocks (at most 40) until the
// device has a pending residency challenge and returns it; it fails the
// test if none is scheduled.
func NextResidencyChallenge(t testing.TB, c *TestChain, deviceID uint64) pocpstypes.Challenge {
	t.Helper()
	q := pocpskeeper.NewQuerier(c.PocpsKeeper)
	for range 40 {
		c.NextBlock(t, time.Second)
		cs, err := q.ChallengesByDevice(c.Ctx(), &pocpstypes.QueryChallengesByDeviceRequest{DeviceId: deviceID})
		require.NoError(t, err)
		for _, ch := range cs.Challenges {
			if ch.Kind == pocpstypes.CHALLENGE_KIND_RESIDENCY && ch.Status == pocpstypes.CHALLENGE_STATUS_PENDING {
				return ch
			}
		}
	}
	t.Fatal("no residency challenge was scheduled")
	return pocpstypes.Challenge{}
}

// Answer runs challenge ch against the sealing as a verifier would and
// builds the passing report sent by hot, with the first two audited walks
// and GEMM rows as the sample and W = 10⁶. Nonce, GEMM seed and secret are
// derived from the challenge id.
func Answer(t testing.TB, s *proof.Sealing, hot sdk.AccAddress, ch pocpstypes.Challenge) *pocpstypes.MsgSubmitChallengeResult {
	t.Helper()
	p := s.Params
	nonce, seed, secret := proof.Hash{1, byte(ch.Id)}, proof.Hash{2, byte(ch.Id)}, proof.Hash{3, byte(ch.Id)}
	run, err := s.Residency(nonce)
	require.NoError(t, err)
	res := s.OpenResidency(run, proof.ResidencyAudit(p, nonce, run.Root(), secret)[:2])
	g, err := s.Gemm(seed)
	require.NoError(t, err)
	gemm := s.OpenGemm(g, proof.GemmAudit(p, seed, g.Roots, secret)[:2])
	resBz, err := res.MarshalBinary()
	require.NoError(t, err)
	gemmBz, err := gemm.MarshalBinary()
	require.NoError(t, err)
	root := run.Root()
	msg := &pocpstypes.MsgSubmitChallengeResult{
		HotKey: hot.String(), ChallengeId: ch.Id, Passed: true, ResidencyMs: 12, GemmMs: 40,
		W: math.NewInt(1_000_000), TranscriptHash: make([]byte, 32),
		Nonce: nonce[:], GemmSeed: seed[:], VerifierSecret: secret[:], ResidencyRoot: root[:],
		ResidencySample: resBz, GemmSample: gemmBz,
	}
	for _, r := range g.Roots {
		msg.GemmRoots = append(msg.GemmRoots, append([]byte(nil), r[:]...))
	}
	return msg
}

// PutSealedDevice writes a sealed rtx-4090 device id owned by owner straight
// into x/pocps, with a dummy tiny seal commitment (for tests of what
// happens after sealing; the setup flow has its own tests), and moves the
// device sequence past id.
func PutSealedDevice(t testing.TB, c *TestChain, id uint64, owner sdk.AccAddress) {
	t.Helper()
	commit := pocpstypes.SealCommitment{Params: pocpstypes.SealParamsFromProof(proof.TinyParams())}
	for range proof.TinyParams().Layers {
		commit.LayerRoots = append(commit.LayerRoots, make([]byte, 32))
	}
	fp := make([]byte, 32)
	fp[0], fp[1] = byte(id), 0xee
	require.NoError(t, c.PocpsKeeper.Devices.Set(c.Ctx(), id, pocpstypes.Device{
		Id: id, Owner: owner.String(), GpuClass: "rtx-4090", Fingerprint: fp, Key: make([]byte, 32),
		Seal: commit, Endpoint: "d:1", Status: pocpstypes.DEVICE_STATUS_SEALED, W: math.ZeroInt(),
		SealedAt: c.Ctx().BlockTime(),
	}))
	if seq, err := c.PocpsKeeper.DeviceSeq.Peek(c.Ctx()); err == nil && seq < id {
		require.NoError(t, c.PocpsKeeper.DeviceSeq.Set(c.Ctx(), id))
	}
}
