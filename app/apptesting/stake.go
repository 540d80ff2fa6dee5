package apptesting

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	staketypes "github.com/loopin-project/loopin/x/stake/types"
)

// StakeLP delivers MsgStakeLP (owner commits deviceID as an LP for
// duration, paying at most 2⁵⁰ uloop) in the block being built and returns
// the handler's result or error.
func StakeLP(c *TestChain, owner sdk.AccAddress, deviceID uint64, duration time.Duration) (*sdk.Result, error) {
	return Deliver(c, c.Ctx(), &staketypes.MsgStakeLP{Owner: owner.String(), DeviceId: deviceID, Duration: duration, MaxUloopIn: math.NewInt(1 << 50)})
}

// StakeHeld asserts that the x/stake module account holds exactly the
// collateral and deposits of the active sales and of the sales in their
// grace (I5 for x/stake) in the block being built.
func StakeHeld(t testing.TB, c *TestChain) {
	t.Helper()
	want := math.ZeroInt()
	require.NoError(t, c.StakeKeeper.Stakes.Walk(c.Ctx(), nil, func(_ uint64, s staketypes.Stake) (bool, error) {
		if s.Status == staketypes.STAKE_STATUS_ACTIVE || s.Status == staketypes.STAKE_STATUS_GRACE {
			want = want.Add(s.Collateral).Add(s.Deposit)
		}
		return false, nil
	}))
	require.Equal(t, want, Balance(c, authtypes.NewModuleAddress(staketypes.ModuleName)), "x/stake holds the collateral and deposits of the sales active or in their grace")
}
