package types

import (
	"cosmossdk.io/errors"

	"github.com/loopin-project/loopin/proof"
	chaintypes "github.com/loopin-project/loopin/types"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// Stateless checks of every x/pocps Msg (sdk.HasValidateBasic), run by
// BaseApp at CheckTx, in simulation and at DeliverTx. What needs state (the
// class's pool and its seal sizes, key_height against the recent blocks,
// the fingerprint's uniqueness, ownership, the assigned verifier, the
// challenge's kind and deadline, the re-check of the samples) stays in the
// keeper.
var (
	_ sdk.HasValidateBasic = (*MsgUpdateParams)(nil)
	_ sdk.HasValidateBasic = (*MsgRegisterDevice)(nil)
	_ sdk.HasValidateBasic = (*MsgUpdateDevice)(nil)
	_ sdk.HasValidateBasic = (*MsgDeregisterDevice)(nil)
	_ sdk.HasValidateBasic = (*MsgRegisterVerifier)(nil)
	_ sdk.HasValidateBasic = (*MsgSubmitSetupResult)(nil)
	_ sdk.HasValidateBasic = (*MsgSubmitChallengeResult)(nil)
	_ sdk.HasValidateBasic = (*MsgReportLease)(nil)
)

// HashSize is the length of the nonce, GEMM seed, verifier secret and the
// roots and transcript hash of a challenge result (SHA-256).
const HashSize = 32

// validateAddress checks that field holds a bech32 account address with the
// chain's prefix. Errors wrap kind, the message's error (as the keeper
// refuses it: ErrInvalidDevice, ErrInvalidVerifier, ErrInvalidResult).
func validateAddress(kind *errors.Error, field, addr string) error {
	return chaintypes.CheckAddress(kind, field, addr)
}

func validateDeviceID(id uint64) error {
	if id == 0 {
		return errors.Wrap(ErrInvalidID, "device_id must be set (device ids start at 1)")
	}
	return nil
}

func validateChallengeID(id uint64) error {
	if id == 0 {
		return errors.Wrap(ErrInvalidID, "challenge_id must be set (challenge ids start at 1)")
	}
	return nil
}

// ValidateBasic checks the authority's address and the parameters.
func (m *MsgUpdateParams) ValidateBasic() error {
	if err := validateAddress(ErrInvalidSigner, "authority", m.Authority); err != nil {
		return err
	}
	return m.Params.Validate()
}

// ValidateBasic checks the owner's address, the class name, the
// fingerprint's length, that key_height is a height, the seal's form, the
// endpoint and the privacy report.
func (m *MsgRegisterDevice) ValidateBasic() error {
	if err := validateAddress(ErrInvalidDevice, "owner", m.Owner); err != nil {
		return err
	}
	if err := ValidateClass(m.GpuClass); err != nil {
		return err
	}
	if len(m.Fingerprint) != FingerprintSize {
		return errors.Wrapf(ErrInvalidDevice, "fingerprint must be %d bytes (SHA-256), got %d", FingerprintSize, len(m.Fingerprint))
	}
	if m.KeyHeight < 1 {
		return errors.Wrapf(ErrKeyHeight, "key_height must be a block height (at least 1), got %d", m.KeyHeight)
	}
	if err := m.Seal.Validate(); err != nil {
		return err
	}
	if err := ValidateEndpoint(m.Endpoint); err != nil {
		return err
	}
	if len(m.DevicePubkey) != proof.DevicePublicKeySize {
		return errors.Wrapf(ErrInvalidDevice, "device_pubkey must be an Ed25519 key of %d bytes, got %d", proof.DevicePublicKeySize, len(m.DevicePubkey))
	}
	if len(m.TlsCertHash) != HashSize {
		return errors.Wrapf(ErrInvalidDevice, "tls_cert_hash must be the SHA-256 (%d bytes) of the miner's TLS certificate, got %d", HashSize, len(m.TlsCertHash))
	}
	return m.Privacy.Validate()
}

// ValidateBasic checks the owner's address, the device id, the endpoint,
// the privacy report and the TLS certificate hash when one is given.
func (m *MsgUpdateDevice) ValidateBasic() error {
	if err := validateAddress(ErrInvalidDevice, "owner", m.Owner); err != nil {
		return err
	}
	if err := validateDeviceID(m.DeviceId); err != nil {
		return err
	}
	if err := ValidateEndpoint(m.Endpoint); err != nil {
		return err
	}
	if n := len(m.TlsCertHash); n != 0 && n != HashSize {
		return errors.Wrapf(ErrInvalidDevice, "tls_cert_hash must be empty (unchanged) or %d bytes, got %d", HashSize, n)
	}
	return m.Privacy.Validate()
}

// ValidateBasic checks the owner's address and the device id.
func (m *MsgDeregisterDevice) ValidateBasic() error {
	if err := validateAddress(ErrInvalidDevice, "owner", m.Owner); err != nil {
		return err
	}
	return validateDeviceID(m.DeviceId)
}

// ValidateBasic checks the operator's and the hot key's addresses, the
// endpoint and the VRF key.
func (m *MsgRegisterVerifier) ValidateBasic() error {
	if err := validateAddress(ErrInvalidVerifier, "operator", m.Operator); err != nil {
		return err
	}
	if err := validateAddress(ErrInvalidVerifier, "hot_key", m.HotKey); err != nil {
		return err
	}
	if err := validateEndpoint(ErrInvalidVerifier, m.Endpoint); err != nil {
		return err
	}
	if err := proof.ValidateVRFKey(m.VrfKey); err != nil {
		return errors.Wrapf(ErrInvalidVerifier, "vrf_key: %v (loopind sidecar verifier vrf-key prints it)", err)
	}
	return nil
}

// ValidateBasic checks the hot key's address, the challenge id, the VRF
// proof's length and, with a proof, the device signature's; an empty proof
// is a valid report (the device did not answer).
func (m *MsgSubmitSetupResult) ValidateBasic() error {
	if err := validateAddress(ErrInvalidResult, "hot_key", m.HotKey); err != nil {
		return err
	}
	if err := validateChallengeID(m.ChallengeId); err != nil {
		return err
	}
	if len(m.VrfProof) != proof.VRFProofSize {
		return errors.Wrapf(ErrInvalidResult, "vrf_proof must be %d bytes, got %d", proof.VRFProofSize, len(m.VrfProof))
	}
	if len(m.Proof) != 0 && len(m.DeviceSignature) != proof.DeviceSignatureSize {
		return errors.Wrapf(ErrInvalidResult, "a setup proof needs the device's signature (%d bytes), got %d", proof.DeviceSignatureSize, len(m.DeviceSignature))
	}
	return nil
}

// MaxOpenings bounds the openings of each kind in one report (proof
// Params.Samples is at most 1024).
const MaxOpenings = 1024

// ValidateBasic checks the hot key's address, the challenge id, that the
// verdict and failure_reason agree (no reason on a pass; LATE, NO_ANSWER or
// BAD_PROOF on a failure), the lengths of the hashes the chain re-checks a
// pass or a BAD_PROOF report with, and w on a pass. Decoding and
// re-checking the samples are the keeper's (metered by gas).
func (m *MsgSubmitChallengeResult) ValidateBasic() error {
	if err := validateAddress(ErrInvalidResult, "hot_key", m.HotKey); err != nil {
		return err
	}
	if err := validateChallengeID(m.ChallengeId); err != nil {
		return err
	}
	if _, ok := FailureReason_name[int32(m.FailureReason)]; !ok {
		return errors.Wrapf(ErrInvalidResult, "failure_reason %d is not a FailureReason", m.FailureReason)
	}
	if m.Passed && m.FailureReason != FAILURE_REASON_UNSPECIFIED {
		return errors.Wrapf(ErrInvalidResult, "a pass has no failure_reason, got %s", m.FailureReason)
	}
	if !m.Passed {
		switch m.FailureReason {
		case FAILURE_REASON_LATE, FAILURE_REASON_NO_ANSWER, FAILURE_REASON_BAD_PROOF:
		default:
			return errors.Wrapf(ErrInvalidResult, "a failure needs failure_reason LATE, NO_ANSWER or BAD_PROOF, got %s", m.FailureReason)
		}
	}
	if n := len(m.TranscriptHash); n != 0 && n != HashSize {
		return errors.Wrapf(ErrInvalidResult, "transcript_hash must be %d bytes (SHA-256) or empty, got %d", HashSize, n)
	}
	if len(m.VrfProof) != proof.VRFProofSize {
		return errors.Wrapf(ErrInvalidResult, "vrf_proof must be %d bytes, got %d", proof.VRFProofSize, len(m.VrfProof))
	}
	if m.Passed || m.FailureReason == FAILURE_REASON_BAD_PROOF {
		if len(m.ResidencyRoot) != HashSize || len(m.ResidencyRootSignature) != proof.DeviceSignatureSize {
			return errors.Wrapf(ErrInvalidResult, "residency_root (%d bytes) and its device signature (%d bytes) are required, got %d and %d",
				HashSize, proof.DeviceSignatureSize, len(m.ResidencyRoot), len(m.ResidencyRootSignature))
		}
		for i, r := range m.GemmRoots {
			if len(r) != HashSize {
				return errors.Wrapf(ErrInvalidResult, "gemm_roots[%d] must be %d bytes, got %d", i, HashSize, len(r))
			}
		}
		if len(m.GemmRoots) > 0 && len(m.GemmRootsSignature) != proof.DeviceSignatureSize {
			return errors.Wrapf(ErrInvalidResult, "gemm_roots need the device's signature (%d bytes), got %d", proof.DeviceSignatureSize, len(m.GemmRootsSignature))
		}
		for _, f := range []struct {
			name string
			list []SignedOpening
		}{{"residency_openings", m.ResidencyOpenings}, {"gemm_openings", m.GemmOpenings}} {
			name, list := f.name, f.list
			if len(list) > MaxOpenings {
				return errors.Wrapf(ErrInvalidResult, "%s: %d openings, at most %d", name, len(list), MaxOpenings)
			}
			for i, o := range list {
				if len(o.Opening) == 0 || len(o.Signature) != proof.DeviceSignatureSize {
					return errors.Wrapf(ErrInvalidResult, "%s[%d] needs an opening and the device's signature (%d bytes)", name, i, proof.DeviceSignatureSize)
				}
			}
		}
	}
	switch {
	case m.Passed && (len(m.ResidencyOpenings) == 0 || len(m.GemmOpenings) == 0 || len(m.GemmRoots) == 0):
		return errors.Wrap(ErrInvalidResult, "a pass needs the GEMM roots and at least one signed walk and one signed row")
	case !m.Passed && m.FailureReason == FAILURE_REASON_BAD_PROOF && len(m.ResidencyOpenings)+len(m.GemmOpenings) == 0:
		return errors.Wrap(ErrNoEvidence, "BAD_PROOF needs a device-signed opening that fails the re-check")
	}
	if m.Passed && (m.W.IsNil() || m.W.IsNegative()) {
		return errors.Wrapf(ErrInvalidResult, "w must be a non-negative number of ops/s, got %s", m.W)
	}
	return nil
}

// ValidateBasic checks the client's address and the lease id. Errors:
// ErrNotLessee (address), ErrInvalidID.
func (m *MsgReportLease) ValidateBasic() error {
	if err := validateAddress(ErrNotLessee, "client", m.Client); err != nil {
		return err
	}
	if m.LeaseId == 0 {
		return errors.Wrap(ErrInvalidID, "lease_id must be set (lease ids start at 1)")
	}
	return nil
}
