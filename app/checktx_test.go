package app_test

import (
	"math/rand"
	"strings"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/stretchr/testify/require"

	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"
	sdk "github.com/cosmos/cosmos-sdk/types"
	txtypes "github.com/cosmos/cosmos-sdk/types/tx"

	"github.com/loopin-project/loopin/app"
	"github.com/loopin-project/loopin/app/apptesting"
	chaintypes "github.com/loopin-project/loopin/types"
	pocpstypes "github.com/loopin-project/loopin/x/pocps/types"
	poolstypes "github.com/loopin-project/loopin/x/pools/types"
	rewardstypes "github.com/loopin-project/loopin/x/rewards/types"
	staketypes "github.com/loopin-project/loopin/x/stake/types"
)

// checkTx signs msgs as priv with a fee of 1000 uloop at the account's
// sequence in the check state and runs CheckTx on it, as a node does when
// a transaction is sent.
func checkTx(t *testing.T, c *apptesting.TestChain, priv *secp256k1.PrivKey, msgs ...sdk.Msg) *abci.ResponseCheckTx {
	t.Helper()
	addr := sdk.AccAddress(priv.PubKey().Address())
	acc := c.AccountKeeper.GetAccount(c.NewContext(true), addr)
	require.NotNil(t, acc, "fund %s first", addr)
	txCfg := app.MakeEncodingConfig().TxConfig
	tx, err := simtestutil.GenSignedMockTx(rand.New(rand.NewSource(1)), txCfg, msgs,
		sdk.NewCoins(sdk.NewInt64Coin(chaintypes.BondDenom, 1000)), simtestutil.DefaultGenTxGas,
		c.ChainID(), []uint64{acc.GetAccountNumber()}, []uint64{acc.GetSequence()}, priv)
	require.NoError(t, err)
	bz, err := txCfg.TxEncoder()(tx)
	require.NoError(t, err)
	res, err := c.CheckTx(&abci.RequestCheckTx{Tx: bz, Type: abci.CheckTxType_New})
	require.NoError(t, err)
	return res
}

// A malformed message is refused at CheckTx, when it is sent, with its
// module's codespace and registered code and a log naming the field, and
// the check state is left as it was: no fee taken, no sequence used. A
// well-formed message (which may still fail in the block: CheckTx runs no
// message handler) passes and is charged, so the assertions can fail.
func TestCheckTxRefusesMalformedMsgs(t *testing.T) {
	c := apptesting.Setup(t)
	priv := secp256k1.GenPrivKey()
	sender := sdk.AccAddress(priv.PubKey().Address())
	require.NoError(t, c.BankKeeper.SendCoins(c.Ctx(), c.Funded, sender, sdk.NewCoins(sdk.NewInt64Coin(chaintypes.BondDenom, 1_000_000_000))))
	c.NextBlock(t, time.Second)
	me := sender.String()
	badEmission := rewardstypes.DefaultParams()
	badEmission.EpochEmission = math.NewInt(-1)

	for _, tc := range []struct {
		name string
		msg  sdk.Msg
		want *errorsmod.Error
		in   string
	}{
		{"buy-lease duration 0", &poolstypes.MsgBuyLease{Client: me, GpuClass: "rtx-4090", MaxUloopIn: math.NewInt(1000)}, poolstypes.ErrInvalidDuration, "duration 0s"},
		{"buy-lease fractional duration", &poolstypes.MsgBuyLease{Client: me, GpuClass: "rtx-4090", Duration: 1500 * time.Millisecond, MaxUloopIn: math.NewInt(1000)}, poolstypes.ErrInvalidDuration, "1.5s"},
		{"buy-lease malformed class", &poolstypes.MsgBuyLease{Client: me, GpuClass: "Nope GPU", Duration: time.Hour, MaxUloopIn: math.NewInt(1000)}, poolstypes.ErrPoolNotFound, `"Nope GPU"`},
		{"buy-lease negative bound", &poolstypes.MsgBuyLease{Client: me, GpuClass: "rtx-4090", Duration: time.Hour, MaxUloopIn: math.NewInt(-1)}, poolstypes.ErrInvalidAmount, "max_uloop_in"},
		{"terminate-lease id 0", &poolstypes.MsgTerminateLease{Client: me, MinRefund: math.ZeroInt()}, poolstypes.ErrInvalidID, "lease_id"},
		{"stake lp device 0", &staketypes.MsgStakeLP{Owner: me, Duration: 168 * time.Hour, MaxUloopIn: math.NewInt(1)}, staketypes.ErrInvalidID, "device_id"},
		{"stake renew 0 epochs", &staketypes.MsgRenewStake{Owner: me, StakeId: 1, MaxUloopIn: math.NewInt(1)}, staketypes.ErrInvalidDuration, "epochs"},
		{"register-verifier bad hot key", &pocpstypes.MsgRegisterVerifier{Operator: me, HotKey: "loopin1nope", Endpoint: "v:1"}, pocpstypes.ErrInvalidVerifier, "hot_key"},
		{"report-lease id 0", &pocpstypes.MsgReportLease{Client: me}, pocpstypes.ErrInvalidID, "lease_id"},
		{"challenge result bad reason", &pocpstypes.MsgSubmitChallengeResult{HotKey: me, ChallengeId: 1, FailureReason: 42}, pocpstypes.ErrInvalidResult, "failure_reason 42"},
		{"rewards update-params bad params", &rewardstypes.MsgUpdateParams{Authority: me, Params: badEmission}, rewardstypes.ErrInvalidParams, "epoch_emission"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := c.NewContext(true)
			seq, err := c.AccountKeeper.GetSequence(ctx, sender)
			require.NoError(t, err)
			balance := c.BankKeeper.GetBalance(ctx, sender, chaintypes.BondDenom)

			res := checkTx(t, c, priv, tc.msg)
			require.NotZero(t, res.Code, "CheckTx accepted a malformed %T: %s", tc.msg, res.Log)
			codespace, _, _ := errorsmod.ABCIInfo(tc.want, false)
			require.Equal(t, codespace, res.Codespace, res.Log)
			require.Equal(t, tc.want.ABCICode(), res.Code, res.Log)
			require.Contains(t, res.Log, tc.in)
			require.NotContains(t, res.Log, ".go:", "no source paths in the log")
			require.Equal(t, 1, strings.Count(res.Log, tc.want.Error()), "wrapped once: %s", res.Log)

			ctx = c.NewContext(true)
			after, err := c.AccountKeeper.GetSequence(ctx, sender)
			require.NoError(t, err)
			require.Equal(t, seq, after, "the refused tx used no sequence")
			require.Equal(t, balance, c.BankKeeper.GetBalance(ctx, sender, chaintypes.BondDenom), "the refused tx paid no fee")
		})
	}

	// Well-formed (stateful failures are the block's to find): CheckTx
	// passes it and the ante handler takes the fee and the sequence.
	ctx := c.NewContext(true)
	seq, err := c.AccountKeeper.GetSequence(ctx, sender)
	require.NoError(t, err)
	balance := c.BankKeeper.GetBalance(ctx, sender, chaintypes.BondDenom)
	res := checkTx(t, c, priv, &poolstypes.MsgTerminateLease{Client: me, LeaseId: 99, MinRefund: math.ZeroInt()},
		&staketypes.MsgStakeLP{Owner: me, DeviceId: 1, Duration: 168 * time.Hour, MaxUloopIn: math.NewInt(1)})
	require.Zero(t, res.Code, res.Log)
	ctx = c.NewContext(true)
	after, err := c.AccountKeeper.GetSequence(ctx, sender)
	require.NoError(t, err)
	require.Equal(t, seq+1, after)
	require.Equal(t, balance.SubAmount(math.NewInt(1000)), c.BankKeeper.GetBalance(ctx, sender, chaintypes.BondDenom))
}

// Simulation (`--gas auto`) refuses a malformed message with the module's
// error and no source frame: errorsmod's %v, which the SDK's tx service
// uses, would append " [file.go:line]" of the build machine.
func TestSimulateErrorHasNoSourcePath(t *testing.T) {
	c := apptesting.Setup(t)
	priv := secp256k1.GenPrivKey()
	sender := sdk.AccAddress(priv.PubKey().Address())
	require.NoError(t, c.BankKeeper.SendCoins(c.Ctx(), c.Funded, sender, sdk.NewCoins(sdk.NewInt64Coin(chaintypes.BondDenom, 1_000_000))))
	c.NextBlock(t, time.Second)
	c.RegisterTxService(client.Context{})
	handler := c.GRPCQueryRouter().Route("/cosmos.tx.v1beta1.Service/Simulate")
	require.NotNil(t, handler)

	acc := c.AccountKeeper.GetAccount(c.NewContext(true), sender)
	txCfg := app.MakeEncodingConfig().TxConfig
	for _, msg := range []sdk.Msg{
		&poolstypes.MsgBuyLease{Client: sender.String(), GpuClass: "rtx-4090", MaxUloopIn: math.NewInt(1)},                      // ValidateBasic
		&poolstypes.MsgBuyLease{Client: sender.String(), GpuClass: "nope-gpu", Duration: time.Hour, MaxUloopIn: math.NewInt(1)}, // the keeper
	} {
		tx, err := simtestutil.GenSignedMockTx(rand.New(rand.NewSource(1)), txCfg, []sdk.Msg{msg}, sdk.NewCoins(), simtestutil.DefaultGenTxGas,
			c.ChainID(), []uint64{acc.GetAccountNumber()}, []uint64{acc.GetSequence()}, priv)
		require.NoError(t, err)
		bz, err := txCfg.TxEncoder()(tx)
		require.NoError(t, err)
		req, err := (&txtypes.SimulateRequest{TxBytes: bz}).Marshal()
		require.NoError(t, err)
		_, err = handler(c.NewContext(true), &abci.RequestQuery{Data: req})
		require.Error(t, err)
		require.Regexp(t, `invalid duration|pool not found`, err.Error())
		require.NotContains(t, err.Error(), ".go:", "no source path: %s", err)
	}
}
