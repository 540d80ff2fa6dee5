package app_test

import (
	"math/rand"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/stretchr/testify/require"

	sdk "github.com/cosmos/cosmos-sdk/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/loopin-project/loopin/app/apptesting"
	chaintypes "github.com/loopin-project/loopin/types"
)

// execChains are two chains with the same genesis (validators, funded key)
// and a block gas limit of maxGas, one on each block executor.
func execChains(t *testing.T, maxGas int64) (sequential, blockSTM *apptesting.TestChain) {
	t.Helper()
	setup := func(opts map[string]any) *apptesting.TestChain {
		return apptesting.SetupWithConfig(t, apptesting.Config{Rand: rand.New(rand.NewSource(20)), MaxBlockGas: maxGas, AppOptions: opts})
	}
	sequential = setup(nil)
	blockSTM = setup(map[string]any{"block-executor": "block-stm", "block-stm-workers": 2})
	require.Equal(t, sequential.LastCommitID().Hash, blockSTM.LastCommitID().Hash, "same genesis")
	return sequential, blockSTM
}

// sends signs n bank sends of 1 uloop from c's funded account, at
// sequences from its current one, each with a gas limit of gas units.
func sends(t *testing.T, c *apptesting.TestChain, n int, gas uint64) [][]byte {
	t.Helper()
	acc := c.AccountKeeper.GetAccount(c.QueryCtx(), c.Funded)
	to := sdk.AccAddress([]byte("executor-test-recipient"))
	r := rand.New(rand.NewSource(1))
	txs := make([][]byte, n)
	for i := range txs {
		msg := banktypes.NewMsgSend(c.Funded, to, sdk.NewCoins(sdk.NewInt64Coin(chaintypes.BondDenom, 1)))
		txs[i] = c.SignTxWithGas(t, r, c.FundedKey, acc.GetAccountNumber(), acc.GetSequence()+uint64(i), gas, msg)
	}
	return txs
}

func txCodes(res *abci.ResponseFinalizeBlock) []uint32 {
	out := make([]uint32, len(res.TxResults))
	for i, r := range res.TxResults {
		out[i] = r.Code
	}
	return out
}

// A proposer overfills a block: transactions whose gas used sums past the
// consensus max_gas (which CometBFT's mempool respects when an honest
// proposer reaps, and nothing checks in a proposal). Block-STM runs without
// the SDK's block gas meter; if sequential execution enforced it, the two
// would disagree on the block's last transactions and split the validators
// by executor. Both run every transaction, with the same results and app
// hash.
func TestBlockExecutorsAgreeOnAnOverfullBlock(t *testing.T) {
	const maxGas = 1_000_000
	seq, stm := execChains(t, maxGas)
	a := seq.FinalizeTxs(t, time.Second, sends(t, seq, 100, 200_000))
	b := stm.FinalizeTxs(t, time.Second, sends(t, stm, 100, 200_000))

	var used int64
	for _, r := range a.TxResults {
		used += r.GasUsed
	}
	require.Greater(t, used, int64(maxGas), "the block is over max_gas")
	require.Equal(t, txCodes(a), txCodes(b))
	require.Equal(t, make([]uint32, 100), txCodes(a), "every send ran")
	require.Equal(t, a.AppHash, b.AppHash)
}
