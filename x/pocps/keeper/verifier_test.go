package keeper_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	sdk "github.com/cosmos/cosmos-sdk/types"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"

	"github.com/loopin-project/loopin/app/apptesting"
	pocpskeeper "github.com/loopin-project/loopin/x/pocps/keeper"
	pocpstypes "github.com/loopin-project/loopin/x/pocps/types"
)

func TestRegisterVerifier(t *testing.T) {
	c := apptesting.Setup(t)
	val := apptesting.GenesisValidator(t, c)
	operator := sdk.AccAddress(val)
	hot := sdk.AccAddress([]byte("hot_key_____________"))
	vrfKey := apptesting.TestVRFKey(hot).PublicKey()
	_, err := apptesting.Deliver(c, c.Ctx(), &pocpstypes.MsgRegisterVerifier{Operator: operator.String(), HotKey: hot.String(), Endpoint: "v:9500", VrfKey: vrfKey[:47]})
	require.ErrorIs(t, err, pocpstypes.ErrInvalidVerifier, "a VRF key is required")

	// Only a validator's operator can register, with valid fields.
	_, err = apptesting.Deliver(c, c.Ctx(), &pocpstypes.MsgRegisterVerifier{Operator: c.Funded.String(), HotKey: hot.String(), Endpoint: "v:9500", VrfKey: vrfKey})
	require.ErrorIs(t, err, pocpstypes.ErrNotBondedValidator)
	_, err = apptesting.Deliver(c, c.Ctx(), &pocpstypes.MsgRegisterVerifier{Operator: operator.String(), HotKey: "nope", Endpoint: "v:9500", VrfKey: vrfKey})
	require.ErrorIs(t, err, pocpstypes.ErrInvalidVerifier)
	_, err = apptesting.Deliver(c, c.Ctx(), &pocpstypes.MsgRegisterVerifier{Operator: operator.String(), HotKey: hot.String(), Endpoint: "v", VrfKey: vrfKey})
	require.ErrorIs(t, err, pocpstypes.ErrInvalidVerifier)

	res, err := apptesting.Deliver(c, c.Ctx(), &pocpstypes.MsgRegisterVerifier{Operator: operator.String(), HotKey: hot.String(), Endpoint: "v:9500", VrfKey: vrfKey})
	require.NoError(t, err)
	require.Equal(t, "loopin.pocps.v1.EventVerifierRegistered", res.GetEvents()[len(res.GetEvents())-1].Type)

	q := pocpskeeper.NewQuerier(c.PocpsKeeper)
	list, err := q.Verifiers(c.Ctx(), &pocpstypes.QueryVerifiersRequest{})
	require.NoError(t, err)
	require.Len(t, list.Verifiers, 1)
	require.Equal(t, hot.String(), list.Verifiers[0].HotKey)
	byHot, err := c.PocpsKeeper.Verifiers.Indexes.ByHotKey.MatchExact(c.Ctx(), hot)
	require.NoError(t, err)
	require.Equal(t, val, byHot)

	// Re-registering updates the endpoint and keeps the miss count.
	v, err := c.PocpsKeeper.Verifiers.Get(c.Ctx(), val)
	require.NoError(t, err)
	require.NoError(t, c.PocpsKeeper.Misses.Set(c.Ctx(), val, pocpstypes.VerifierMisses{Validator: v.Validator, Missed: 2}))
	_, err = apptesting.Deliver(c, c.Ctx(), &pocpstypes.MsgRegisterVerifier{Operator: operator.String(), HotKey: hot.String(), Endpoint: "v2:9500", VrfKey: vrfKey})
	require.NoError(t, err)
	v, err = c.PocpsKeeper.Verifiers.Get(c.Ctx(), val)
	require.NoError(t, err)
	require.Equal(t, "v2:9500", v.Endpoint)
	q = pocpskeeper.NewQuerier(c.PocpsKeeper)
	vs, err := q.Verifiers(c.Ctx(), &pocpstypes.QueryVerifiersRequest{})
	require.NoError(t, err)
	require.Equal(t, uint32(2), vs.Verifiers[0].Missed, "the query shows the decayed misses")

	// Verifiers survive export and re-import.
	c.NextBlock(t, 1)
	next := c.ExportAndRestart(t)
	has, err := next.PocpsKeeper.Verifiers.Has(next.Ctx(), val)
	require.NoError(t, err)
	require.True(t, has)

	// x/staking calls x/pocps: distribution, slashing and pocps hooks are wired.
	hooks, ok := next.StakingKeeper.Hooks().(stakingtypes.MultiStakingHooks)
	require.True(t, ok)
	require.Len(t, hooks, 3)

	// Unbonding (which jailing causes) removes the verifier.
	require.NoError(t, next.PocpsKeeper.StakingHooks().AfterValidatorBeginUnbonding(next.Ctx(), nil, val))
	has, err = next.PocpsKeeper.Verifiers.Has(next.Ctx(), val)
	require.NoError(t, err)
	require.False(t, has)
	_, err = next.PocpsKeeper.Verifiers.Indexes.ByHotKey.MatchExact(next.Ctx(), hot)
	require.Error(t, err, "the hot key is free again")

	// Jailed, then registered again: the misses are still there.
	m, err := next.PocpsKeeper.Misses.Get(next.Ctx(), val)
	require.NoError(t, err, "misses survive export and the verifier's removal")
	require.Equal(t, uint32(2), m.Missed)
}
