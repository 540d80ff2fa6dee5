package apptesting

import (
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
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
	_, err := Deliver(c, c.Ctx(), &pocpstypes.MsgRegisterVerifier{Operator: sdk.AccAddress(val).String(), HotKey: hot.String(), Endpoint: "verifier:9500",
		VrfKey: TestVRFKey(hot).PublicKey()})
	require.NoError(t, err)
	return hot
}

// TestVRFKey is the VRF key of the test verifier with hot key hot (from
// SHA-256 of the address): what WithVerifierKey registers and the report
// helpers sign with.
func TestVRFKey(hot sdk.AccAddress) proof.VRFKey {
	k, err := proof.NewVRFKey(sha256.Sum256(append([]byte("apptesting/vrf/"), hot...)))
	if err != nil {
		panic(err)
	}
	return k
}

// TestDeviceKey is the answer key of the test device with fingerprint fp
// (from SHA-256 of it): what RegisterMsg registers and the report helpers
// sign the device's answers with.
func TestDeviceKey(fp []byte) ed25519.PrivateKey {
	seed := sha256.Sum256(append([]byte("apptesting/device-key/"), fp...))
	return ed25519.NewKeyFromSeed(seed[:])
}

// TestCertHash is the TLS certificate hash RegisterMsg registers.
func TestCertHash(fp []byte) []byte {
	h := sha256.Sum256(append([]byte("apptesting/tls/"), fp...))
	return h[:]
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
		DevicePubkey: TestDeviceKey(fp).Public().(ed25519.PublicKey), TlsCertHash: TestCertHash(fp),
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

// VRF returns the VRF proof σ of the test verifier hot for challenge ch
// and the secrets it gives (proof.SecretsFromVRF).
func VRF(c *TestChain, hot sdk.AccAddress, ch pocpstypes.Challenge) ([]byte, proof.Secrets) {
	return TestVRFKey(hot).ProveChallenge(c.ChainID(), ch.Id, ch.Nonce)
}

// SetupReport is the verifier hot's report of setup challenge ch with the
// device-signed setup proof of s, as the verifier sidecar submits it.
func SetupReport(t testing.TB, c *TestChain, s *proof.Sealing, hot sdk.AccAddress, ch pocpstypes.Challenge) *pocpstypes.MsgSubmitSetupResult {
	t.Helper()
	sigma, sec := VRF(c, hot, ch)
	seed := sec.SetupSeed
	pf, err := s.ProveSetup(seed)
	require.NoError(t, err)
	bz, err := pf.MarshalBinary()
	require.NoError(t, err)
	return &pocpstypes.MsgSubmitSetupResult{HotKey: hot.String(), ChallengeId: ch.Id, Proof: bz, VrfProof: sigma,
		DeviceSignature: proof.SignAnswer(DeviceKeyOf(t, c, ch.DeviceId), c.ChainID(), ch.Id, proof.AnswerSetup, proof.SetupPayload(seed, bz))}
}

// DeviceKeyOf is the test answer key of device id (TestDeviceKey of its
// fingerprint).
func DeviceKeyOf(t testing.TB, c *TestChain, id uint64) ed25519.PrivateKey {
	t.Helper()
	d, err := c.PocpsKeeper.GetDevice(c.Ctx(), id)
	require.NoError(t, err)
	return TestDeviceKey(d.Fingerprint)
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
	_, err := Deliver(c, c.Ctx(), SetupReport(t, c, sealing, hot, ch))
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

// PassNextResidency waits for device's next residency challenge
// (NextResidencyChallenge) and passes it with hot's report (Answer), so
// that the device's last_verified moves past its sealed_at.
func PassNextResidency(t testing.TB, c *TestChain, s *proof.Sealing, hot sdk.AccAddress, device uint64) {
	t.Helper()
	ch := NextResidencyChallenge(t, c, device)
	_, err := Deliver(c, c.Ctx(), Answer(t, c, s, hot, ch))
	require.NoError(t, err)
}

// Answer runs challenge ch against the sealing as a verifier would and
// builds the passing report sent by hot: the device-signed commitments and
// the first two audited walks and GEMM rows, W = 10⁶ ops/s.
func Answer(t testing.TB, c *TestChain, s *proof.Sealing, hot sdk.AccAddress, ch pocpstypes.Challenge) *pocpstypes.MsgSubmitChallengeResult {
	t.Helper()
	a := Run(t, c, s, hot, ch)
	return a.Report(2, 2)
}

// Answers is one challenge run by the test device against its sealing,
// every answer signed with its test key: what a verifier receives.
type Answers struct {
	Msg                         *pocpstypes.MsgSubmitChallengeResult
	Walks, Rows                 []pocpstypes.SignedOpening
	Nonce, Seed                 proof.Hash
	ResidencySecret, GemmSecret proof.Hash
	ResidencyRoot               proof.Hash
	GemmRoots                   []proof.Hash
	key                         ed25519.PrivateKey
	chainID                     string
	challenge                   uint64
}

// Run answers challenge ch with s: the residency and GEMM runs for the
// challenge's nonce and seed, every audited walk and row opened and
// signed. Msg is a pass without openings (Report adds them).
func Run(t testing.TB, c *TestChain, s *proof.Sealing, hot sdk.AccAddress, ch pocpstypes.Challenge) *Answers {
	t.Helper()
	p := s.Params
	key := DeviceKeyOf(t, c, ch.DeviceId)
	a := &Answers{key: key, chainID: c.ChainID(), challenge: ch.Id}
	sigma, sec := VRF(c, hot, ch)
	a.Nonce, a.Seed, a.ResidencySecret, a.GemmSecret = sec.ResidencyNonce, sec.GemmSeed, sec.ResidencySecret, sec.GemmSecret
	run, err := s.Residency(a.Nonce)
	require.NoError(t, err)
	a.ResidencyRoot = run.Root()
	for j, w := range proof.ResidencyAudit(p, a.Nonce, a.ResidencyRoot, a.ResidencySecret) {
		bz, err := s.OpenResidency(run, []uint32{w}).MarshalBinary()
		require.NoError(t, err)
		a.Walks = append(a.Walks, a.SignOpening(proof.AnswerResidencyOpening, uint32(j), bz))
	}
	g, err := s.Gemm(a.Seed)
	require.NoError(t, err)
	a.GemmRoots = g.Roots
	for j, ref := range proof.GemmAudit(p, a.Seed, g.Roots, a.GemmSecret) {
		bz, err := s.OpenGemm(g, []proof.RowRef{ref}).MarshalBinary()
		require.NoError(t, err)
		a.Rows = append(a.Rows, a.SignOpening(proof.AnswerGemmOpening, uint32(j), bz))
	}
	a.Msg = &pocpstypes.MsgSubmitChallengeResult{
		HotKey: hot.String(), ChallengeId: ch.Id, Passed: true, ResidencyMs: 12, GemmMs: 40,
		W: math.NewInt(1_000_000), TranscriptHash: make([]byte, 32), VrfProof: sigma,
		ResidencyRoot:          append([]byte(nil), a.ResidencyRoot[:]...),
		ResidencyRootSignature: proof.SignAnswer(key, a.chainID, ch.Id, proof.AnswerResidencyRoot, proof.RootPayload(a.Nonce, a.ResidencyRoot)),
		GemmRootsSignature:     proof.SignAnswer(key, a.chainID, ch.Id, proof.AnswerGemmRoots, proof.RootPayload(a.Seed, g.Roots...)),
	}
	for _, r := range g.Roots {
		a.Msg.GemmRoots = append(a.Msg.GemmRoots, append([]byte(nil), r[:]...))
	}
	return a
}

// SignOpening signs an opening's encoding at audit position j of the
// run's commitment (a.ResidencyRoot, or a.GemmRoots) with the device key,
// as the device does.
func (a *Answers) SignOpening(kind proof.AnswerKind, j uint32, opening []byte) pocpstypes.SignedOpening {
	secret, commit := a.ResidencySecret, proof.RootPayload(a.Nonce, a.ResidencyRoot)
	if kind == proof.AnswerGemmOpening {
		secret, commit = a.GemmSecret, proof.RootPayload(a.Seed, a.GemmRoots...)
	}
	return pocpstypes.SignedOpening{Position: j, Opening: opening,
		Signature: proof.SignAnswer(a.key, a.chainID, a.challenge, kind, proof.OpeningPayload(secret, j, commit, opening))}
}

// Sign signs payload as the device's answer of kind to this challenge.
func (a *Answers) Sign(kind proof.AnswerKind, payload []byte) []byte {
	return proof.SignAnswer(a.key, a.chainID, a.challenge, kind, payload)
}

// Report is the passing report with the first walks and rows openings.
func (a *Answers) Report(walks, rows int) *pocpstypes.MsgSubmitChallengeResult {
	m := *a.Msg
	m.ResidencyOpenings = append([]pocpstypes.SignedOpening(nil), a.Walks[:walks]...)
	m.GemmOpenings = append([]pocpstypes.SignedOpening(nil), a.Rows[:rows]...)
	return &m
}

// PutSealedDevice writes a sealed rtx-4090 device id owned by owner straight
// into x/pocps, with a dummy tiny seal commitment (for tests of what
// happens after sealing; the setup flow has its own tests) with its
// LastPasses entry (sealed now), and moves the device sequence past id.
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
	require.NoError(t, c.PocpsKeeper.LastPasses.Set(c.Ctx(), id, c.Ctx().BlockTime().UnixNano()), "as the seal records it")
	if seq, err := c.PocpsKeeper.DeviceSeq.Peek(c.Ctx()); err == nil && seq < id {
		require.NoError(t, c.PocpsKeeper.DeviceSeq.Set(c.Ctx(), id))
	}
}

// WithVerifiers registers a verifier for every genesis validator, hot key
// "hot_key_<i>", each with its TestVRFKey, and returns the hot keys by
// validator operator address (the Challenge.Verifier string).
func WithVerifiers(t testing.TB, c *TestChain) map[string]sdk.AccAddress {
	t.Helper()
	hots := map[string]sdk.AccAddress{}
	for i, val := range GenesisValidators(t, c) {
		hot := sdk.AccAddress([]byte(fmt.Sprintf("hot_key_%012d", i)))
		_, err := Deliver(c, c.Ctx(), &pocpstypes.MsgRegisterVerifier{Operator: sdk.AccAddress(val).String(), HotKey: hot.String(),
			Endpoint: "v:9500", VrfKey: TestVRFKey(hot).PublicKey()})
		require.NoError(t, err)
		name, err := c.StakingKeeper.ValidatorAddressCodec().BytesToString(val)
		require.NoError(t, err)
		hots[name] = hot
	}
	return hots
}
