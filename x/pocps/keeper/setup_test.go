package keeper_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/loopin-project/loopin/app/apptesting"
	"github.com/loopin-project/loopin/proof"
	pocpskeeper "github.com/loopin-project/loopin/x/pocps/keeper"
	pocpstypes "github.com/loopin-project/loopin/x/pocps/types"
)

func TestSetupChallengeSealsTheDevice(t *testing.T) {
	c := apptesting.Setup(t)
	c.NextBlock(t, time.Second)
	hot := apptesting.WithVerifier(t, c)
	sealing, ch := apptesting.RegisterSealed(t, c, "gpu-0")

	// The verifier sees its assignment.
	q := pocpskeeper.NewQuerier(c.PocpsKeeper)
	pending, err := q.PendingChallenges(c.Ctx(), &pocpstypes.QueryPendingChallengesRequest{Verifier: ch.Verifier})
	require.NoError(t, err)
	require.Len(t, pending.Challenges, 1)

	// Before the seed block exists there is nothing to prove.
	_, err = apptesting.Deliver(c, c.Ctx(), &pocpstypes.MsgSubmitSetupResult{HotKey: hot.String(), ChallengeId: ch.Id, Proof: []byte{1}})
	require.ErrorIs(t, err, pocpstypes.ErrTooEarly)
	c.NextBlock(t, time.Second) // the registration block
	c.NextBlock(t, time.Second) // the seed block

	// Only the assigned verifier's hot key may report.
	_, err = apptesting.Deliver(c, c.Ctx(), &pocpstypes.MsgSubmitSetupResult{HotKey: c.Funded.String(), ChallengeId: ch.Id, Proof: []byte{1}})
	require.ErrorIs(t, err, pocpstypes.ErrNotAssigned)

	proofBytes := apptesting.SetupProofBytes(t, sealing, ch.SeedHeight)
	gasBefore := c.Ctx().GasMeter().GasConsumed()
	res, err := apptesting.Deliver(c, c.Ctx(), &pocpstypes.MsgSubmitSetupResult{HotKey: hot.String(), ChallengeId: ch.Id, Proof: proofBytes})
	require.NoError(t, err)
	require.GreaterOrEqual(t, c.Ctx().GasMeter().GasConsumed()-gasBefore, uint64(pocpskeeper.VerifyGasPerByte*len(proofBytes)), "verification is paid for")
	var resp pocpstypes.MsgSubmitSetupResultResponse
	require.NoError(t, c.AppCodec().Unmarshal(res.MsgResponses[0].Value, &resp))
	require.True(t, resp.Passed, resp.Detail)

	device, err := c.PocpsKeeper.Devices.Get(c.Ctx(), ch.DeviceId)
	require.NoError(t, err)
	require.Equal(t, pocpstypes.DEVICE_STATUS_SEALED, device.Status)
	got, err := c.PocpsKeeper.Challenges.Get(c.Ctx(), ch.Id)
	require.NoError(t, err)
	require.Equal(t, pocpstypes.CHALLENGE_STATUS_PASSED, got.Status)
	pending, err = q.PendingChallenges(c.Ctx(), &pocpstypes.QueryPendingChallengesRequest{Verifier: ch.Verifier})
	require.NoError(t, err)
	require.Empty(t, pending.Challenges)

	// A closed challenge takes no second report.
	_, err = apptesting.Deliver(c, c.Ctx(), &pocpstypes.MsgSubmitSetupResult{HotKey: hot.String(), ChallengeId: ch.Id, Proof: []byte{1}})
	require.ErrorIs(t, err, pocpstypes.ErrChallengeClosed)
}

// A proof for another seed, a tampered proof or no answer fail the device:
// the chain re-checks the evidence itself.
func TestSetupChallengeRejectsBadProofs(t *testing.T) {
	for name, mutate := range map[string]func(s *proof.Sealing, seedHeight int64, t *testing.T) []byte{
		"proof for another seed": func(s *proof.Sealing, h int64, t *testing.T) []byte { return apptesting.SetupProofBytes(t, s, h+5) },
		"tampered label": func(s *proof.Sealing, h int64, t *testing.T) []byte {
			var seed proof.Hash
			copy(seed[:], apptesting.BlockHash(h))
			pf, err := s.ProveSetup(seed)
			require.NoError(t, err)
			pf.Samples[0].Label.Label[0] ^= 1
			bz, _ := pf.MarshalBinary()
			return bz
		},
		"garbage":   func(*proof.Sealing, int64, *testing.T) []byte { return []byte{0, 0, 0, 9} },
		"no answer": func(*proof.Sealing, int64, *testing.T) []byte { return nil },
	} {
		t.Run(name, func(t *testing.T) {
			c := apptesting.Setup(t)
			c.NextBlock(t, time.Second)
			hot := apptesting.WithVerifier(t, c)
			sealing, ch := apptesting.RegisterSealed(t, c, "gpu-0")
			c.NextBlock(t, time.Second)
			c.NextBlock(t, time.Second)
			res, err := apptesting.Deliver(c, c.Ctx(), &pocpstypes.MsgSubmitSetupResult{HotKey: hot.String(), ChallengeId: ch.Id, Proof: mutate(sealing, ch.SeedHeight, t)})
			require.NoError(t, err)
			var resp pocpstypes.MsgSubmitSetupResultResponse
			require.NoError(t, c.AppCodec().Unmarshal(res.MsgResponses[0].Value, &resp))
			require.False(t, resp.Passed)
			require.NotEqual(t, pocpstypes.FAILURE_REASON_UNSPECIFIED, resp.FailureReason)
			if resp.FailureReason == pocpstypes.FAILURE_REASON_BAD_PROOF {
				require.NotEmpty(t, resp.Detail, "a bad proof says what failed the re-check")
			}
			device, err := c.PocpsKeeper.Devices.Get(c.Ctx(), ch.DeviceId)
			require.NoError(t, err)
			require.Equal(t, pocpstypes.DEVICE_STATUS_FAILED, device.Status)
		})
	}
}

func TestRegistrationNeedsAVerifierOtherThanTheOwner(t *testing.T) {
	c := apptesting.Setup(t)
	c.NextBlock(t, time.Second)
	h := c.LastBlockHeight()
	fp := apptesting.Fingerprint("gpu-0")
	_, commit := apptesting.SealFor(t, c, c.Funded, fp, h)
	_, err := apptesting.Deliver(c, c.Ctx(), apptesting.RegisterMsg(c.Funded, fp, h, commit))
	require.ErrorIs(t, err, pocpstypes.ErrNoVerifier)

	// The validator's own device cannot be checked by its own verifier.
	apptesting.WithVerifier(t, c)
	operator := sdk.AccAddress(apptesting.GenesisValidator(t, c))
	_, commit = apptesting.SealFor(t, c, operator, fp, h)
	_, err = apptesting.Deliver(c, c.Ctx(), apptesting.RegisterMsg(operator, fp, h, commit))
	require.ErrorIs(t, err, pocpstypes.ErrNoVerifier)
}

// A verifier that lets the deadline pass misses: the challenge closes, the
// miss is counted, and the queue only touches what is due.
func TestMissedSetupDeadline(t *testing.T) {
	c := apptesting.Setup(t)
	c.NextBlock(t, time.Second)
	hot := apptesting.WithVerifier(t, c)
	_, ch := apptesting.RegisterSealed(t, c, "gpu-0")
	params, err := c.PocpsKeeper.Params.Get(c.Ctx())
	require.NoError(t, err)

	c.NextBlock(t, params.ChallengeDeadline/2)
	got, err := c.PocpsKeeper.Challenges.Get(c.Ctx(), ch.Id)
	require.NoError(t, err)
	require.Equal(t, pocpstypes.CHALLENGE_STATUS_PENDING, got.Status, "not due yet")

	c.NextBlock(t, params.ChallengeDeadline)
	got, err = c.PocpsKeeper.Challenges.Get(c.Ctx(), ch.Id)
	require.NoError(t, err)
	require.Equal(t, pocpstypes.CHALLENGE_STATUS_MISSED, got.Status)
	v, err := c.PocpsKeeper.Verifiers.Get(c.Ctx(), apptesting.GenesisValidator(t, c))
	require.NoError(t, err)
	require.Equal(t, uint32(1), v.Missed)
	_, err = apptesting.Deliver(c, c.Ctx(), &pocpstypes.MsgSubmitSetupResult{HotKey: hot.String(), ChallengeId: ch.Id, Proof: []byte{1}})
	require.ErrorIs(t, err, pocpstypes.ErrChallengeClosed)
	has, err := c.PocpsKeeper.DeadlineQueue.Has(c.Ctx(), collectionsPair(got))
	require.NoError(t, err)
	require.False(t, has, "closed challenges leave the queue")
}

func collectionsPair(c pocpstypes.Challenge) collections.Pair[int64, uint64] {
	return collections.Join(c.Deadline.Unix(), c.Id)
}

// A device deregistered while its setup challenge is pending: the report
// gets a clear error, not an internal one.
func TestReportForADeregisteredDevice(t *testing.T) {
	c := apptesting.Setup(t)
	c.NextBlock(t, time.Second)
	hot := apptesting.WithVerifier(t, c)
	sealing, ch := apptesting.RegisterSealed(t, c, "gpu-0")
	_, err := apptesting.Deliver(c, c.Ctx(), &pocpstypes.MsgDeregisterDevice{Owner: c.Funded.String(), DeviceId: ch.DeviceId})
	require.NoError(t, err)
	c.NextBlock(t, time.Second)
	c.NextBlock(t, time.Second)
	_, err = apptesting.Deliver(c, c.Ctx(), &pocpstypes.MsgSubmitSetupResult{HotKey: hot.String(), ChallengeId: ch.Id, Proof: apptesting.SetupProofBytes(t, sealing, ch.SeedHeight)})
	require.ErrorIs(t, err, pocpstypes.ErrDeviceNotFound)

	// Its deadline passes without a miss for the verifier.
	params, err := c.PocpsKeeper.Params.Get(c.Ctx())
	require.NoError(t, err)
	c.NextBlock(t, params.ChallengeDeadline+time.Second)
	got, err := c.PocpsKeeper.Challenges.Get(c.Ctx(), ch.Id)
	require.NoError(t, err)
	require.Equal(t, pocpstypes.CHALLENGE_STATUS_MISSED, got.Status)
	require.Equal(t, pocpstypes.FAILURE_REASON_DEVICE_DEREGISTERED, got.FailureReason)
	v, err := c.PocpsKeeper.Verifiers.Get(c.Ctx(), apptesting.GenesisValidator(t, c))
	require.NoError(t, err)
	require.Zero(t, v.Missed)
}
