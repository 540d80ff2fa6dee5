package app_test

import (
	"math/rand"
	"testing"
	"time"

	"cosmossdk.io/math"
	"github.com/stretchr/testify/require"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	storetypes "github.com/cosmos/cosmos-sdk/store/v2/types"
	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"
	sdk "github.com/cosmos/cosmos-sdk/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/loopin-project/loopin/app"
	"github.com/loopin-project/loopin/app/apptesting"
	"github.com/loopin-project/loopin/proof"
	chaintypes "github.com/loopin-project/loopin/types"
	pocpstypes "github.com/loopin-project/loopin/x/pocps/types"
	poolstypes "github.com/loopin-project/loopin/x/pools/types"
	staketypes "github.com/loopin-project/loopin/x/stake/types"
)

// simulateGas signs msgs as priv (a funded account) and simulates the
// transaction against the last committed state, as `--gas auto` does. It
// returns the gas used, ante handler (signature, fee, size) included.
func simulateGas(t *testing.T, c *apptesting.TestChain, priv *secp256k1.PrivKey, msgs ...sdk.Msg) uint64 {
	t.Helper()
	addr := sdk.AccAddress(priv.PubKey().Address())
	acc := c.AccountKeeper.GetAccount(c.Ctx(), addr)
	require.NotNil(t, acc, "fund %s first", addr)
	txCfg := app.MakeEncodingConfig().TxConfig
	tx, err := simtestutil.GenSignedMockTx(rand.New(rand.NewSource(1)), txCfg, msgs, sdk.NewCoins(), simtestutil.DefaultGenTxGas,
		c.ChainID(), []uint64{acc.GetAccountNumber()}, []uint64{acc.GetSequence()}, priv)
	require.NoError(t, err)
	bz, err := txCfg.TxEncoder()(tx)
	require.NoError(t, err)
	gas, _, err := c.Simulate(bz)
	require.NoError(t, err)
	return gas.GasUsed
}

// Gas of the x/pools messages beside a bank send on the same chain
// (docs/benchmarks.md). Gas is deterministic, so a bound on it is a test.
func TestPoolsGasBesideABankSend(t *testing.T) {
	c := apptesting.Setup(t)
	client := secp256k1.GenPrivKey()
	clientAddr := sdk.AccAddress(client.PubKey().Address())
	require.NoError(t, c.BankKeeper.SendCoins(c.Ctx(), c.Funded, clientAddr, sdk.NewCoins(sdk.NewInt64Coin(chaintypes.BondDenom, 10_000_000_000))))
	for i := uint64(1); i <= 3; i++ {
		apptesting.OpenLP(t, c, "rtx-4090", i, c.Funded, 8*24*time.Hour)
	}
	res, err := apptesting.Deliver(c, c.Ctx(), &poolstypes.MsgBuyLease{Client: clientAddr.String(), GpuClass: "rtx-4090", Duration: 2 * time.Hour, MaxUloopIn: math.NewInt(1 << 50)})
	require.NoError(t, err)
	var bought poolstypes.MsgBuyLeaseResponse
	require.NoError(t, c.AppCodec().Unmarshal(res.MsgResponses[0].Value, &bought))
	c.NextBlock(t, time.Minute)

	send := simulateGas(t, c, client, &banktypes.MsgSend{FromAddress: clientAddr.String(), ToAddress: c.Funded.String(),
		Amount: sdk.NewCoins(sdk.NewInt64Coin(chaintypes.BondDenom, 1_000_000))})
	buy := simulateGas(t, c, client, &poolstypes.MsgBuyLease{Client: clientAddr.String(), GpuClass: "rtx-4090", Duration: 2 * time.Hour, MaxUloopIn: math.NewInt(1 << 50)})
	extend := simulateGas(t, c, client, &poolstypes.MsgExtendLease{Client: clientAddr.String(), LeaseId: bought.LeaseId, Duration: time.Hour, MaxUloopIn: math.NewInt(1 << 50)})
	terminate := simulateGas(t, c, client, &poolstypes.MsgTerminateLease{Client: clientAddr.String(), LeaseId: bought.LeaseId, MinRefund: math.ZeroInt()})
	t.Logf("gas: bank send %d, buy-lease %d (%.2f×), extend-lease %d (%.2f×), terminate-lease %d (%.2f×)",
		send, buy, float64(buy)/float64(send), extend, float64(extend)/float64(send), terminate, float64(terminate)/float64(send))
	// Matching weighs the idle devices by when x/pocps last saw them pass a
	// challenge (LastPass), one read of x/pocps' device record each: here
	// two idle devices that x/pocps does not know, two reads of an absent
	// key. The x/pools target bounds the rest of the purchase.
	cfg := storetypes.KVGasConfig()
	const deviceKey = 1 + 8 // x/pocps' Devices prefix and the id
	absent := 2 * (cfg.ReadCostFlat + cfg.ReadCostPerByte*deviceKey)
	require.LessOrEqual(t, (buy-absent)*2, send*3, "buy-lease, less its liveness reads, within 1.5× a bank send (the x/pools target)")
	require.LessOrEqual(t, buy*5, send*8, "buy-lease, liveness reads included, within 1.6× a bank send")

	// The usual case: the devices are x/pocps', sealed and proven just now;
	// matching reads the longest commitment's record and takes it.
	for i := uint64(2); i <= 3; i++ {
		apptesting.PutSealedDevice(t, c, i, c.Funded)
	}
	record, err := c.PocpsKeeper.Devices.Get(c.Ctx(), 3)
	require.NoError(t, err)
	c.NextBlock(t, time.Second)
	live := simulateGas(t, c, client, &poolstypes.MsgBuyLease{Client: clientAddr.String(), GpuClass: "rtx-4090", Duration: 2 * time.Hour, MaxUloopIn: math.NewInt(1 << 50)})
	read := cfg.ReadCostFlat + cfg.ReadCostPerByte*(deviceKey+uint64(len(c.AppCodec().MustMarshal(&record))))
	t.Logf("gas: buy-lease matched to a live device %d (%.2f×; its x/pocps record read %d)", live, float64(live)/float64(send), read)
	require.LessOrEqual(t, (live-read)*2, send*3, "buy-lease, less its liveness read, within 1.5× a bank send")
	require.LessOrEqual(t, live*5, send*8, "buy-lease matched to a live device, within 1.6× a bank send")
}

// Gas of the x/stake messages beside a bank send (docs/benchmarks.md).
func TestStakeGasBesideABankSend(t *testing.T) {
	c := apptesting.Setup(t)
	miner := secp256k1.GenPrivKey()
	minerAddr := sdk.AccAddress(miner.PubKey().Address())
	require.NoError(t, c.BankKeeper.SendCoins(c.Ctx(), c.Funded, minerAddr, sdk.NewCoins(sdk.NewInt64Coin(chaintypes.BondDenom, 100_000_000_000))))
	commit := pocpstypes.SealCommitment{Params: pocpstypes.SealParamsFromProof(proof.TinyParams())}
	for range proof.TinyParams().Layers {
		commit.LayerRoots = append(commit.LayerRoots, make([]byte, 32))
	}
	for i := uint64(1); i <= 3; i++ {
		fp := make([]byte, 32)
		fp[0] = byte(i)
		require.NoError(t, c.PocpsKeeper.Devices.Set(c.Ctx(), i, pocpstypes.Device{
			Id: i, Owner: minerAddr.String(), GpuClass: "rtx-4090", Fingerprint: fp, Key: make([]byte, 32),
			Seal: commit, Endpoint: "d:1", Status: pocpstypes.DEVICE_STATUS_SEALED, W: math.ZeroInt(),
		}))
	}
	res, err := apptesting.StakeLP(c, minerAddr, 1, 8*24*time.Hour)
	require.NoError(t, err)
	var staked staketypes.MsgStakeLPResponse
	require.NoError(t, c.AppCodec().Unmarshal(res.MsgResponses[0].Value, &staked))
	c.NextBlock(t, time.Minute)

	send := simulateGas(t, c, miner, &banktypes.MsgSend{FromAddress: minerAddr.String(), ToAddress: c.Funded.String(),
		Amount: sdk.NewCoins(sdk.NewInt64Coin(chaintypes.BondDenom, 1_000_000))})
	lp := simulateGas(t, c, miner, &staketypes.MsgStakeLP{Owner: minerAddr.String(), DeviceId: 2, Duration: 7 * 24 * time.Hour, MaxUloopIn: math.NewInt(1 << 50)})
	sale := simulateGas(t, c, miner, &staketypes.MsgSellCompute{Owner: minerAddr.String(), DeviceId: 3, Days: 2, MinUloopOut: math.ZeroInt()})
	renew := simulateGas(t, c, miner, &staketypes.MsgRenewStake{Owner: minerAddr.String(), StakeId: staked.StakeId, Epochs: 24, MaxUloopIn: math.NewInt(1 << 50)})
	t.Logf("gas: bank send %d, stake lp %d (%.2f×), stake sell %d (%.2f×), stake renew %d (%.2f×)",
		send, lp, float64(lp)/float64(send), sale, float64(sale)/float64(send), renew, float64(renew)/float64(send))
	require.Less(t, send, lp, "a stake does more than a send")
}
