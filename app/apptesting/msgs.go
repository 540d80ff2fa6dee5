package apptesting

import (
	"crypto/sha256"
	"math/rand"
	"testing"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/math"
	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cosmos/gogoproto/proto"

	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"
	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"

	chaintypes "github.com/loopin-project/loopin/types"
)

// GovAuthority is the governance module account, the authority of every
// LooPIN module's MsgUpdateParams and of x/pools' pool management.
var GovAuthority = authtypes.NewModuleAddress(govtypes.ModuleName).String()

// Deliver runs msg through the app's Msg router as a transaction would: in
// a cached context of ctx that is written only when the handler succeeds.
// It returns the handler's result or error; it runs no ante handler (no
// signature, fee or gas limit): use SignTx and FinalizeTxs for that.
func Deliver(c *TestChain, ctx sdk.Context, msg sdk.Msg) (*sdk.Result, error) {
	cache, write := ctx.CacheContext()
	res, err := c.MsgServiceRouter().Handler(msg)(cache, msg)
	if err == nil {
		write()
	}
	return res, err
}

// EventTypes lists the types of res's events, in order.
func EventTypes(res *sdk.Result) []string {
	var types []string
	for _, ev := range res.GetEvents() {
		types = append(types, ev.Type)
	}
	return types
}

// Account returns the address named name (the first 20 bytes of its
// SHA-256) after sending it amount uloop from c.Funded in the block being
// built. It fails the test if Funded cannot pay.
func Account(t testing.TB, c *TestChain, name string, amount int64) sdk.AccAddress {
	t.Helper()
	h := sha256.Sum256([]byte(name))
	addr := sdk.AccAddress(h[:20])
	require.NoError(t, c.BankKeeper.SendCoins(c.Ctx(), c.Funded, addr, sdk.NewCoins(sdk.NewInt64Coin(chaintypes.BondDenom, amount))))
	return addr
}

// Balance returns addr's uloop in the block being built.
func Balance(c *TestChain, addr sdk.AccAddress) math.Int {
	return c.BankKeeper.GetBalance(c.Ctx(), addr, chaintypes.BondDenom).Amount
}

// CommitEvery commits the block (NextBlock with no time passing) when i is
// a multiple of 1000. Fixtures that write 10⁵ keys call it after each write:
// a single block's write cache grows slow to iterate with that many dirty
// keys, which would measure the harness, not the chain.
func CommitEvery(t testing.TB, c *TestChain, i int) {
	t.Helper()
	if i%1000 == 0 {
		c.NextBlock(t, 0)
	}
}

// SignTx signs msgs as priv, whose account has number accNum and is at
// sequence seq, with no fee and a gas limit of simtestutil.DefaultGenTxGas,
// and returns the encoded transaction for FinalizeTxs. The memo is drawn from
// r (so equal seeds give equal bytes). It fails the test if signing fails.
func (c *TestChain) SignTx(t testing.TB, r *rand.Rand, priv cryptotypes.PrivKey, accNum, seq uint64, msgs ...sdk.Msg) []byte {
	t.Helper()
	return c.SignTxWithGas(t, r, priv, accNum, seq, simtestutil.DefaultGenTxGas, msgs...)
}

// SignTxWithGas is SignTx with a gas limit of gas units.
func (c *TestChain) SignTxWithGas(t testing.TB, r *rand.Rand, priv cryptotypes.PrivKey, accNum, seq, gas uint64, msgs ...sdk.Msg) []byte {
	t.Helper()
	txCfg := c.TxConfig()
	tx, err := simtestutil.GenSignedMockTx(r, txCfg, msgs, sdk.NewCoins(), gas,
		ChainID, []uint64{accNum}, []uint64{seq}, priv)
	require.NoError(t, err)
	bz, err := txCfg.TxEncoder()(tx)
	require.NoError(t, err)
	return bz
}

// TypedEvent decodes the last event of res whose type is msg's proto name
// into msg, failing the test when there is none.
func TypedEvent(t testing.TB, res *sdk.Result, msg proto.Message) {
	t.Helper()
	name := proto.MessageName(msg)
	evs := res.GetEvents()
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Type != name {
			continue
		}
		got, err := sdk.ParseTypedEvent(abci.Event(evs[i]))
		require.NoError(t, err)
		bz, err := proto.Marshal(got)
		require.NoError(t, err)
		require.NoError(t, proto.Unmarshal(bz, msg))
		return
	}
	t.Fatalf("no %s event", name)
}
