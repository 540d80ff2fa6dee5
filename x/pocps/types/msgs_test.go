package types_test

import (
	"testing"

	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"
	"github.com/stretchr/testify/require"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/loopin-project/loopin/proof"
	"github.com/loopin-project/loopin/x/pocps/types"
)

func TestMsgValidateBasic(t *testing.T) {
	owner := sdk.AccAddress(make([]byte, 20)).String()
	hot := sdk.AccAddress(append([]byte{1}, make([]byte, 19)...)).String()
	seal := types.SealCommitment{Params: types.SealParamsFromProof(proof.TinyParams())}
	for range proof.TinyParams().Layers {
		seal.LayerRoots = append(seal.LayerRoots, make([]byte, 32))
	}
	h := func(n int) []byte { return make([]byte, n) }
	vk, err := proof.NewVRFKey([32]byte{7})
	require.NoError(t, err)
	vrfKey := vk.PublicKey()
	register := func(edit func(*types.MsgRegisterDevice)) *types.MsgRegisterDevice {
		m := &types.MsgRegisterDevice{Owner: owner, GpuClass: "rtx-4090", Fingerprint: h(32), KeyHeight: 5, Seal: seal,
			Endpoint: "miner.example:7070", Privacy: types.PrivacyReport{Level: 50}, DevicePubkey: h(32), TlsCertHash: h(32)}
		edit(m)
		return m
	}
	result := func(edit func(*types.MsgSubmitChallengeResult)) *types.MsgSubmitChallengeResult {
		m := &types.MsgSubmitChallengeResult{HotKey: hot, ChallengeId: 7, Passed: true, W: math.NewInt(100), TranscriptHash: h(32),
			VrfProof: h(96), ResidencyRoot: h(32), ResidencyRootSignature: h(64), GemmRoots: [][]byte{h(32), h(32)}, GemmRootsSignature: h(64),
			ResidencyOpenings: []types.SignedOpening{{Opening: h(8), Signature: h(64)}}, GemmOpenings: []types.SignedOpening{{Opening: h(8), Signature: h(64)}}}
		edit(m)
		return m
	}
	failed := func(reason types.FailureReason) func(*types.MsgSubmitChallengeResult) {
		return func(m *types.MsgSubmitChallengeResult) { m.Passed, m.FailureReason = false, reason }
	}
	for _, tc := range []struct {
		name string
		msg  sdk.HasValidateBasic
		want *errorsmod.Error
		in   []string
	}{
		{name: "register valid", msg: register(func(*types.MsgRegisterDevice) {})},
		{name: "register bad owner", msg: register(func(m *types.MsgRegisterDevice) { m.Owner = "me" }), want: types.ErrInvalidDevice, in: []string{"owner", `"me"`}},
		{name: "register bad class", msg: register(func(m *types.MsgRegisterDevice) { m.GpuClass = "RTX 4090" }), want: types.ErrInvalidDevice, in: []string{"gpu_class", `"RTX 4090"`}},
		{name: "register short fingerprint", msg: register(func(m *types.MsgRegisterDevice) { m.Fingerprint = h(31) }), want: types.ErrInvalidDevice, in: []string{"fingerprint", "31"}},
		{name: "register key height 0", msg: register(func(m *types.MsgRegisterDevice) { m.KeyHeight = 0 }), want: types.ErrKeyHeight, in: []string{"key_height", "0"}},
		{name: "register seal without roots", msg: register(func(m *types.MsgRegisterDevice) { m.Seal.LayerRoots = nil }), want: types.ErrInvalidDevice, in: []string{"layer roots"}},
		{name: "register bad endpoint", msg: register(func(m *types.MsgRegisterDevice) { m.Endpoint = "no-port" }), want: types.ErrInvalidDevice, in: []string{"endpoint", `"no-port"`}},
		{name: "register bad privacy", msg: register(func(m *types.MsgRegisterDevice) { m.Privacy.Level = 101 }), want: types.ErrInvalidDevice, in: []string{"privacy level", "101"}},
		{name: "register no device key", msg: register(func(m *types.MsgRegisterDevice) { m.DevicePubkey = nil }), want: types.ErrInvalidDevice, in: []string{"device_pubkey", "Ed25519"}},
		{name: "register no cert hash", msg: register(func(m *types.MsgRegisterDevice) { m.TlsCertHash = h(31) }), want: types.ErrInvalidDevice, in: []string{"tls_cert_hash", "31"}},

		{name: "update valid", msg: &types.MsgUpdateDevice{Owner: owner, DeviceId: 1, Endpoint: "d:1"}},
		{name: "update bad owner", msg: &types.MsgUpdateDevice{Owner: "", DeviceId: 1, Endpoint: "d:1"}, want: types.ErrInvalidDevice, in: []string{"owner"}},
		{name: "update device 0", msg: &types.MsgUpdateDevice{Owner: owner, Endpoint: "d:1"}, want: types.ErrInvalidID, in: []string{"device_id"}},
		{name: "update bad port", msg: &types.MsgUpdateDevice{Owner: owner, DeviceId: 1, Endpoint: "d:70000"}, want: types.ErrInvalidDevice, in: []string{`"d:70000"`}},
		{name: "update bad cert hash", msg: &types.MsgUpdateDevice{Owner: owner, DeviceId: 1, Endpoint: "d:1", TlsCertHash: h(3)}, want: types.ErrInvalidDevice, in: []string{"tls_cert_hash"}},

		{name: "deregister valid", msg: &types.MsgDeregisterDevice{Owner: owner, DeviceId: 1}},
		{name: "deregister bad owner", msg: &types.MsgDeregisterDevice{Owner: "x", DeviceId: 1}, want: types.ErrInvalidDevice, in: []string{"owner"}},
		{name: "deregister device 0", msg: &types.MsgDeregisterDevice{Owner: owner}, want: types.ErrInvalidID, in: []string{"device_id"}},

		{name: "verifier valid", msg: &types.MsgRegisterVerifier{Operator: owner, HotKey: hot, Endpoint: "v:1", VrfKey: vrfKey}},
		{name: "verifier no vrf key", msg: &types.MsgRegisterVerifier{Operator: owner, HotKey: hot, Endpoint: "v:1"}, want: types.ErrInvalidVerifier, in: []string{"vrf_key", "vrf-key"}},
		{name: "verifier invalid vrf key", msg: &types.MsgRegisterVerifier{Operator: owner, HotKey: hot, Endpoint: "v:1", VrfKey: h(48)}, want: types.ErrInvalidVerifier, in: []string{"vrf_key", "malformed"}},
		{name: "verifier bad operator", msg: &types.MsgRegisterVerifier{Operator: "val", HotKey: hot, Endpoint: "v:1"}, want: types.ErrInvalidVerifier, in: []string{"operator", `"val"`}},
		{name: "verifier bad hot key", msg: &types.MsgRegisterVerifier{Operator: owner, HotKey: "", Endpoint: "v:1"}, want: types.ErrInvalidVerifier, in: []string{"hot_key"}},
		{name: "verifier bad endpoint", msg: &types.MsgRegisterVerifier{Operator: owner, HotKey: hot, Endpoint: ""}, want: types.ErrInvalidVerifier, in: []string{"endpoint"}},

		{name: "setup valid", msg: &types.MsgSubmitSetupResult{HotKey: hot, ChallengeId: 1, Proof: []byte{1}, VrfProof: h(96), DeviceSignature: h(64)}},
		{name: "setup no answer valid", msg: &types.MsgSubmitSetupResult{HotKey: hot, ChallengeId: 1, VrfProof: h(96)}},
		{name: "setup no vrf proof", msg: &types.MsgSubmitSetupResult{HotKey: hot, ChallengeId: 1}, want: types.ErrInvalidResult, in: []string{"vrf_proof"}},
		{name: "setup unsigned proof", msg: &types.MsgSubmitSetupResult{HotKey: hot, ChallengeId: 1, Proof: []byte{1}, VrfProof: h(96)}, want: types.ErrInvalidResult, in: []string{"device's signature"}},
		{name: "setup bad hot key", msg: &types.MsgSubmitSetupResult{HotKey: "h", ChallengeId: 1}, want: types.ErrInvalidResult, in: []string{"hot_key"}},
		{name: "setup challenge 0", msg: &types.MsgSubmitSetupResult{HotKey: hot}, want: types.ErrInvalidID, in: []string{"challenge_id"}},

		{name: "result pass valid", msg: result(func(*types.MsgSubmitChallengeResult) {})},
		{name: "result late valid without samples", msg: result(func(m *types.MsgSubmitChallengeResult) {
			failed(types.FAILURE_REASON_LATE)(m)
			m.ResidencyRoot, m.GemmRoots, m.ResidencyOpenings, m.GemmOpenings, m.W = nil, nil, nil, nil, math.Int{}
		})},
		{name: "result no answer valid", msg: result(failed(types.FAILURE_REASON_NO_ANSWER))},
		{name: "result bad proof valid", msg: result(failed(types.FAILURE_REASON_BAD_PROOF))},
		{name: "result bad hot key", msg: result(func(m *types.MsgSubmitChallengeResult) { m.HotKey = "" }), want: types.ErrInvalidResult, in: []string{"hot_key"}},
		{name: "result challenge 0", msg: result(func(m *types.MsgSubmitChallengeResult) { m.ChallengeId = 0 }), want: types.ErrInvalidID, in: []string{"challenge_id"}},
		{name: "result reason out of range", msg: result(failed(99)), want: types.ErrInvalidResult, in: []string{"failure_reason", "99"}},
		{name: "result failure unspecified", msg: result(failed(types.FAILURE_REASON_UNSPECIFIED)), want: types.ErrInvalidResult, in: []string{"FAILURE_REASON_UNSPECIFIED"}},
		{name: "result failure missed deadline", msg: result(failed(types.FAILURE_REASON_MISSED_DEADLINE)), want: types.ErrInvalidResult, in: []string{"FAILURE_REASON_MISSED_DEADLINE"}},
		{name: "result pass with reason", msg: result(func(m *types.MsgSubmitChallengeResult) { m.FailureReason = types.FAILURE_REASON_LATE }), want: types.ErrInvalidResult, in: []string{"FAILURE_REASON_LATE"}},
		{name: "result short transcript", msg: result(func(m *types.MsgSubmitChallengeResult) { m.TranscriptHash = h(5) }), want: types.ErrInvalidResult, in: []string{"transcript_hash", "5"}},
		{name: "result short vrf proof", msg: result(func(m *types.MsgSubmitChallengeResult) { m.VrfProof = h(16) }), want: types.ErrInvalidResult, in: []string{"vrf_proof", "16"}},
		{name: "result pass without walks", msg: result(func(m *types.MsgSubmitChallengeResult) { m.ResidencyOpenings = nil }), want: types.ErrInvalidResult, in: []string{"one signed walk"}},
		{name: "result unsigned root", msg: result(func(m *types.MsgSubmitChallengeResult) { m.ResidencyRootSignature = nil }), want: types.ErrInvalidResult, in: []string{"residency_root"}},
		{name: "result unsigned opening", msg: result(func(m *types.MsgSubmitChallengeResult) { m.GemmOpenings[0].Signature = nil }), want: types.ErrInvalidResult, in: []string{"gemm_openings[0]"}},
		{name: "result bad proof without openings", msg: result(func(m *types.MsgSubmitChallengeResult) {
			failed(types.FAILURE_REASON_BAD_PROOF)(m)
			m.ResidencyOpenings, m.GemmOpenings = nil, nil
		}), want: types.ErrNoEvidence, in: []string{"device-signed opening"}},
		{name: "result bad proof no root", msg: result(func(m *types.MsgSubmitChallengeResult) {
			failed(types.FAILURE_REASON_BAD_PROOF)(m)
			m.ResidencyRoot = nil
		}), want: types.ErrInvalidResult, in: []string{"residency_root"}},
		{name: "result short gemm root", msg: result(func(m *types.MsgSubmitChallengeResult) { m.GemmRoots[1] = h(33) }), want: types.ErrInvalidResult, in: []string{"gemm_roots[1]", "33"}},
		{name: "result pass nil w", msg: result(func(m *types.MsgSubmitChallengeResult) { m.W = math.Int{} }), want: types.ErrInvalidResult, in: []string{"w must"}},
		{name: "result pass negative w", msg: result(func(m *types.MsgSubmitChallengeResult) { m.W = math.NewInt(-1) }), want: types.ErrInvalidResult, in: []string{"-1"}},

		{name: "update params valid", msg: &types.MsgUpdateParams{Authority: owner, Params: types.DefaultParams()}},
		{name: "update params bad authority", msg: &types.MsgUpdateParams{Params: types.DefaultParams()}, want: types.ErrInvalidSigner, in: []string{"authority"}},
		{name: "update params invalid", msg: &types.MsgUpdateParams{Authority: owner}, want: types.ErrInvalidParams, in: []string{"challenge_interval"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.msg.ValidateBasic()
			if tc.want == nil {
				require.NoError(t, err)
				return
			}
			require.Truef(t, errorsmod.IsOf(err, tc.want), "got %v, want %v", err, tc.want)
			codespace, code, _ := errorsmod.ABCIInfo(err, false)
			require.Equal(t, types.ModuleName, codespace)
			require.Equal(t, tc.want.ABCICode(), code)
			for _, s := range tc.in {
				require.Contains(t, err.Error(), s)
			}
		})
	}
}
