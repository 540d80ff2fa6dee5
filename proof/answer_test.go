package proof_test

import (
	"crypto/ed25519"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/loopin-project/loopin/proof"
)

func TestAnswersAreBoundToChainAndChallenge(t *testing.T) {
	pub, priv, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	payload := proof.RootPayload(key("nonce"), key("root"))
	sig := proof.SignAnswer(priv, "loopin-1", 7, proof.AnswerResidencyRoot, payload)
	require.NoError(t, proof.VerifyAnswer(pub, sig, "loopin-1", 7, proof.AnswerResidencyRoot, payload))
	for name, err := range map[string]error{
		"another challenge": proof.VerifyAnswer(pub, sig, "loopin-1", 8, proof.AnswerResidencyRoot, payload),
		"another chain":     proof.VerifyAnswer(pub, sig, "loopin-2", 7, proof.AnswerResidencyRoot, payload),
		"another kind":      proof.VerifyAnswer(pub, sig, "loopin-1", 7, proof.AnswerGemmRoots, payload),
		"another payload":   proof.VerifyAnswer(pub, sig, "loopin-1", 7, proof.AnswerResidencyRoot, proof.RootPayload(key("nonce"), key("other"))),
		"no signature":      proof.VerifyAnswer(pub, nil, "loopin-1", 7, proof.AnswerResidencyRoot, payload),
		"short key":         proof.VerifyAnswer(pub[:31], sig, "loopin-1", 7, proof.AnswerResidencyRoot, payload),
	} {
		require.ErrorIs(t, err, proof.ErrBadSignature, name)
	}
	require.NotEqual(t, proof.ChallengeNonce("loopin-1", 7, []byte("blk")), proof.ChallengeNonce("loopin-1", 8, []byte("blk")))
}

// TestVRFSecretIsUniqueAndBound checks what makes the audit secret not
// choosable: one valid proof per key and message, refused for another
// message or key, and a flipped byte is refused (no second encoding).
func TestVRFSecretIsUniqueAndBound(t *testing.T) {
	k, err := proof.NewVRFKey(key("verifier seed"))
	require.NoError(t, err)
	other, err := proof.NewVRFKey(key("other seed"))
	require.NoError(t, err)
	msg := proof.VRFMessage("loopin-1", 7, key("nonce"))
	sigma := k.Prove(msg)
	require.Len(t, sigma, proof.VRFProofSize)
	require.Len(t, k.PublicKey(), proof.VRFPublicKeySize)
	require.NoError(t, proof.ValidateVRFKey(k.PublicKey()))
	require.NoError(t, proof.VerifyVRF(k.PublicKey(), msg, sigma))
	require.Equal(t, sigma, k.Prove(msg), "deterministic")
	require.ErrorIs(t, proof.VerifyVRF(k.PublicKey(), proof.VRFMessage("loopin-1", 8, key("nonce")), sigma), proof.ErrBadVRF)
	require.ErrorIs(t, proof.VerifyVRF(other.PublicKey(), msg, sigma), proof.ErrBadVRF)
	for i := range sigma {
		bad := append([]byte(nil), sigma...)
		bad[i] ^= 0x01
		require.ErrorIs(t, proof.VerifyVRF(k.PublicKey(), msg, bad), proof.ErrBadVRF, "byte %d", i)
	}
	require.ErrorIs(t, proof.ValidateVRFKey(make([]byte, proof.VRFPublicKeySize)), proof.ErrBadVRFKey)
	// Each secret is its own hash of σ: revealing one tells nothing of
	// another.
	sec := proof.SecretsFromVRF(sigma)
	all := []proof.Hash{sec.SetupSeed, sec.ResidencyNonce, sec.ResidencySecret, sec.GemmSeed, sec.GemmSecret, sec.Columns}
	for i := range all {
		for j := range i {
			require.NotEqual(t, all[j], all[i])
		}
	}
}

func BenchmarkVerifyVRF(b *testing.B) {
	k, err := proof.NewVRFKey(key("bench"))
	if err != nil {
		b.Fatal(err)
	}
	msg := proof.VRFMessage("loopin-1", 7, key("nonce"))
	sigma, pub := k.Prove(msg), k.PublicKey()
	b.ResetTimer()
	for range b.N {
		if err := proof.VerifyVRF(pub, msg, sigma); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyAnswer(b *testing.B) {
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		b.Fatal(err)
	}
	payload := proof.OpeningPayload(key("secret"), 3, proof.RootPayload(key("nonce"), key("root")), make([]byte, 32<<10))
	sig := proof.SignAnswer(priv, "loopin-1", 7, proof.AnswerResidencyOpening, payload)
	b.ResetTimer()
	for range b.N {
		if err := proof.VerifyAnswer(pub, sig, "loopin-1", 7, proof.AnswerResidencyOpening, payload); err != nil {
			b.Fatal(err)
		}
	}
}
