package app

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	cmttypes "github.com/cometbft/cometbft/types"
	dbm "github.com/cosmos/cosmos-db"
	"github.com/stretchr/testify/require"

	"cosmossdk.io/log/v2"
	"cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/baseapp"
	cryptocodec "github.com/cosmos/cosmos-sdk/crypto/codec"
	"github.com/cosmos/cosmos-sdk/crypto/keys/ed25519"
	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"

	"github.com/loopin-project/loopin/proof"
	chaintypes "github.com/loopin-project/loopin/types"
	poolstypes "github.com/loopin-project/loopin/x/pools/types"
)

// testChainID is the chain-id of every TestChain.
const testChainID = "loopin-test-1"

// TestChain is an App on an in-memory database with one bonded validator
// and one funded account, driven block by block by the test.
type TestChain struct {
	*App
	// Funded is an account holding 10^12 uloop at genesis.
	Funded  sdk.AccAddress
	valSet  *cmttypes.ValidatorSet
	now     time.Time
	pending *sdk.Context
	// initialHeight is the first block's height (genesis initial_height).
	initialHeight int64
}

// Setup starts a TestChain with one validator at genesis and commits its
// first block. Tests that change genesis pass a function that edits the
// default state.
func Setup(t testing.TB, editGenesis ...func(GenesisState)) *TestChain {
	t.Helper()
	return SetupWithValidators(t, 1, editGenesis...)
}

// SetupWithValidators is Setup with n bonded validators of equal power.
func SetupWithValidators(t testing.TB, n int, editGenesis ...func(GenesisState)) *TestChain {
	t.Helper()
	SetAddressPrefixes()

	vals := make([]*cmttypes.Validator, n)
	for i := range vals {
		cmtPub, err := cryptocodec.ToCmtPubKeyInterface(ed25519.GenPrivKey().PubKey())
		require.NoError(t, err)
		vals[i] = cmttypes.NewValidator(cmtPub, 1)
	}
	valSet := cmttypes.NewValidatorSet(vals)

	acc := sdk.AccAddress(secp256k1.GenPrivKey().PubKey().Address())
	genAcc := authtypes.NewBaseAccount(acc, nil, 0, 0)
	balance := banktypes.Balance{
		Address: acc.String(),
		Coins:   sdk.NewCoins(sdk.NewCoin(chaintypes.BondDenom, math.NewInt(1_000_000_000_000))),
	}

	a := New(log.NewNopLogger(), dbm.NewMemDB(), true, simtestutil.NewAppOptionsWithFlagHome(t.TempDir()), baseapp.SetChainID(testChainID))
	genesis, err := simtestutil.GenesisStateWithValSet(a.AppCodec(), a.DefaultGenesis(), valSet, []authtypes.GenesisAccount{genAcc}, balance)
	require.NoError(t, err)
	// The SDK helper funds the bonded pool for one validator only; fund it
	// for all n so that the supply matches.
	var bank banktypes.GenesisState
	a.AppCodec().MustUnmarshalJSON(genesis[banktypes.ModuleName], &bank)
	bonded := authtypes.NewModuleAddress(stakingtypes.BondedPoolName).String()
	for i := range bank.Balances {
		if bank.Balances[i].Address == bonded {
			bank.Balances[i].Coins = sdk.NewCoins(sdk.NewCoin(chaintypes.BondDenom, sdk.DefaultPowerReduction.MulRaw(int64(n))))
		}
	}
	genesis[banktypes.ModuleName] = a.AppCodec().MustMarshalJSON(&bank)
	// Test chains seal tiny: every pool uses proof.TinyParams.
	var pools poolstypes.GenesisState
	a.AppCodec().MustUnmarshalJSON(genesis[poolstypes.ModuleName], &pools)
	for i := range pools.GpuClasses {
		pools.GpuClasses[i].Seal = poolstypes.ClassSealParamsFromProof(proof.TinyParams())
	}
	genesis[poolstypes.ModuleName] = a.AppCodec().MustMarshalJSON(&pools)
	for _, edit := range editGenesis {
		edit(genesis)
	}
	stateBytes, err := json.Marshal(genesis)
	require.NoError(t, err)

	chain := &TestChain{App: a, Funded: acc, valSet: valSet, now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	_, err = a.InitChain(&abci.RequestInitChain{
		ChainId:         testChainID,
		Time:            chain.now,
		Validators:      []abci.ValidatorUpdate{},
		ConsensusParams: simtestutil.DefaultConsensusParams,
		AppStateBytes:   stateBytes,
	})
	require.NoError(t, err)
	chain.NextBlock(t, time.Second)
	return chain
}

// NextBlock finalizes and commits an empty block dt after the previous one.
func (c *TestChain) NextBlock(t testing.TB, dt time.Duration) {
	t.Helper()
	c.now = c.now.Add(dt)
	height := c.nextHeight()
	_, err := c.FinalizeBlock(&abci.RequestFinalizeBlock{
		Hash:               BlockHash(height),
		Height:             height,
		Time:               c.now,
		NextValidatorsHash: c.valSet.Hash(),
	})
	require.NoError(t, err)
	_, err = c.Commit()
	require.NoError(t, err)
	c.pending = nil
}

// BlockHash is the made-up hash a TestChain gives block height.
func BlockHash(height int64) []byte {
	h := sha256.Sum256([]byte(fmt.Sprintf("test block %d", height)))
	return h[:]
}

func (c *TestChain) nextHeight() int64 {
	if c.LastBlockHeight() == 0 && c.initialHeight > 1 {
		return c.initialHeight
	}
	return c.LastBlockHeight() + 1
}

// Ctx returns the context of the block being built: it reads the committed
// state plus what the test wrote since, and what it writes is committed by
// the next NextBlock. It is the same context until then.
func (c *TestChain) Ctx() sdk.Context {
	if c.pending == nil {
		ctx := c.NewNextBlockContext(cmtproto.Header{Height: c.nextHeight(), Time: c.now, ChainID: testChainID})
		c.pending = &ctx
	}
	return *c.pending
}

// ExportAndRestart exports the chain at its last height, as `loopind export`
// does, and starts a new chain from that genesis at the next height with the
// same validator. It returns the new chain after its first block.
func (c *TestChain) ExportAndRestart(t testing.TB) *TestChain {
	t.Helper()
	exported, err := c.ExportAppStateAndValidators(false, nil, nil)
	require.NoError(t, err)
	require.Len(t, exported.Validators, 1, "exported validator set")

	a := New(log.NewNopLogger(), dbm.NewMemDB(), true, simtestutil.NewAppOptionsWithFlagHome(t.TempDir()), baseapp.SetChainID(testChainID))
	next := &TestChain{App: a, Funded: c.Funded, valSet: c.valSet, now: c.now, initialHeight: exported.Height}
	_, err = a.InitChain(&abci.RequestInitChain{
		ChainId:         testChainID,
		Time:            c.now,
		InitialHeight:   exported.Height,
		ConsensusParams: simtestutil.DefaultConsensusParams,
		AppStateBytes:   exported.AppState,
	})
	require.NoError(t, err)
	next.NextBlock(t, time.Second)
	require.Equal(t, exported.Height, next.LastBlockHeight())
	return next
}
