// Package apptesting is the test harness of the LooPIN app: a TestChain (the
// whole App on an in-memory database, driven block by block) and the helpers
// that the app's integration tests and the modules' keeper tests share. It is
// imported by tests only; no production code may depend on it.
//
// Every helper that takes a testing.TB fails the test (through require) on
// an unexpected error instead of returning it.
package apptesting

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"math/rand"
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

	"github.com/loopin-project/loopin/app"
	"github.com/loopin-project/loopin/proof"
	chaintypes "github.com/loopin-project/loopin/types"
	poolstypes "github.com/loopin-project/loopin/x/pools/types"
)

// ChainID is the chain-id of every TestChain.
const ChainID = "loopin-test-1"

// FundedAmount is what TestChain.Funded holds at genesis, in uloop.
const FundedAmount = 1_000_000_000_000

// GenesisTime is the genesis time of every TestChain.
var GenesisTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// TestChain is an App on an in-memory database with bonded validators and
// one funded account, driven block by block by the test.
type TestChain struct {
	*app.App
	// Funded is an account holding FundedAmount uloop at genesis.
	Funded sdk.AccAddress
	// FundedKey is Funded's private key, to sign transactions with.
	FundedKey *secp256k1.PrivKey
	valSet    *cmttypes.ValidatorSet
	now       time.Time
	pending   *sdk.Context
	// initialHeight is the first block's height (genesis initial_height).
	initialHeight int64
}

// Config is how SetupWithConfig builds a chain.
type Config struct {
	// Validators is the number of bonded validators of equal power; 0
	// means 1.
	Validators int
	// Rand, when set, draws the validators' consensus keys and the funded
	// account's key, so that two chains set up with equal seeds have the
	// same genesis, byte for byte. Nil draws fresh random keys.
	Rand *rand.Rand
	// Genesis edits the default genesis state, in order, before InitChain.
	Genesis []func(app.GenesisState)
	// AppOptions are app.toml settings by key ("block-executor":
	// "block-stm"); nil is the defaults.
	AppOptions map[string]any
	// MaxBlockGas, when non-zero, is the consensus max_gas of a block (gas
	// units; -1 unlimited) instead of simtestutil's 100 000 000.
	MaxBlockGas int64
}

// Setup starts a TestChain with one validator at genesis and commits its
// first block. Tests that change genesis pass functions that edit the
// default state.
func Setup(t testing.TB, editGenesis ...func(app.GenesisState)) *TestChain {
	t.Helper()
	return SetupWithConfig(t, Config{Validators: 1, Genesis: editGenesis})
}

// SetupWithValidators is Setup with n bonded validators of equal power.
func SetupWithValidators(t testing.TB, n int, editGenesis ...func(app.GenesisState)) *TestChain {
	t.Helper()
	return SetupWithConfig(t, Config{Validators: n, Genesis: editGenesis})
}

// SetupWithConfig starts a TestChain as cfg says and commits its first block.
// Every pool's class seals with proof.TinyParams, so that tests can seal.
func SetupWithConfig(t testing.TB, cfg Config) *TestChain {
	t.Helper()
	app.SetAddressPrefixes()
	n := max(cfg.Validators, 1)
	secret := func() []byte {
		if cfg.Rand == nil {
			return nil
		}
		b := make([]byte, 32)
		_, _ = cfg.Rand.Read(b)
		return b
	}

	vals := make([]*cmttypes.Validator, n)
	for i := range vals {
		var pk *ed25519.PrivKey
		if s := secret(); s != nil {
			pk = ed25519.GenPrivKeyFromSecret(s)
		} else {
			pk = ed25519.GenPrivKey()
		}
		cmtPub, err := cryptocodec.ToCmtPubKeyInterface(pk.PubKey())
		require.NoError(t, err)
		vals[i] = cmttypes.NewValidator(cmtPub, 1)
	}
	valSet := cmttypes.NewValidatorSet(vals)

	var key *secp256k1.PrivKey
	if s := secret(); s != nil {
		key = secp256k1.GenPrivKeyFromSecret(s)
	} else {
		key = secp256k1.GenPrivKey()
	}
	acc := sdk.AccAddress(key.PubKey().Address())
	genAcc := authtypes.NewBaseAccount(acc, nil, 0, 0)
	balance := banktypes.Balance{
		Address: acc.String(),
		Coins:   sdk.NewCoins(sdk.NewCoin(chaintypes.BondDenom, math.NewInt(FundedAmount))),
	}

	a := newApp(t, cfg.AppOptions)
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
	for _, edit := range cfg.Genesis {
		edit(genesis)
	}
	stateBytes, err := json.Marshal(genesis)
	require.NoError(t, err)

	chain := &TestChain{App: a, Funded: acc, FundedKey: key, valSet: valSet, now: GenesisTime}
	_, err = a.InitChain(&abci.RequestInitChain{
		ChainId:         ChainID,
		Time:            chain.now,
		Validators:      []abci.ValidatorUpdate{},
		ConsensusParams: consensusParams(cfg.MaxBlockGas),
		AppStateBytes:   stateBytes,
	})
	require.NoError(t, err)
	chain.NextBlock(t, time.Second)
	return chain
}

// consensusParams are simtestutil.DefaultConsensusParams without their
// consensus-level authority, as `loopind init` writes them (authority ""):
// the SDK helper's is the gov module account with the "cosmos" prefix, which
// sdk.ValidateAuthority would demand of every governance Msg a proposal
// executes in FinalizeBlock instead of the keepers' loopin1… authority.
func consensusParams(maxGas int64) *cmtproto.ConsensusParams {
	cp := *simtestutil.DefaultConsensusParams
	cp.Authority = &cmtproto.AuthorityParams{}
	if maxGas != 0 {
		block := *cp.Block
		block.MaxGas = maxGas
		cp.Block = &block
	}
	return &cp
}

// newApp builds an App on an in-memory database with opts over the
// defaults (app.toml keys).
func newApp(t testing.TB, opts map[string]any) *app.App {
	appOpts := simtestutil.NewAppOptionsWithFlagHome(t.TempDir()).(simtestutil.AppOptionsMap)
	for k, v := range opts {
		appOpts[k] = v
	}
	return app.New(log.NewNopLogger(), dbm.NewMemDB(), true, appOpts, baseapp.SetChainID(ChainID))
}

// NextBlock finalizes and commits an empty block dt after the previous one.
func (c *TestChain) NextBlock(t testing.TB, dt time.Duration) {
	t.Helper()
	c.FinalizeTxs(t, dt, nil)
}

// FinalizeTxs finalizes and commits a block dt after the previous one that
// holds txs (encoded transactions, as CometBFT passes them), and returns
// FinalizeBlock's response: one result per transaction and the app hash,
// which it checks is the hash Commit committed. A transaction that fails is
// not an error here; its result says why.
func (c *TestChain) FinalizeTxs(t testing.TB, dt time.Duration, txs [][]byte) *abci.ResponseFinalizeBlock {
	t.Helper()
	c.now = c.now.Add(dt)
	height := c.nextHeight()
	res, err := c.FinalizeBlock(&abci.RequestFinalizeBlock{
		Txs:                txs,
		Hash:               BlockHash(height),
		Height:             height,
		Time:               c.now,
		NextValidatorsHash: c.valSet.Hash(),
	})
	require.NoError(t, err)
	_, err = c.Commit()
	require.NoError(t, err)
	require.Equal(t, res.AppHash, c.LastCommitID().Hash, "Commit committed the app hash FinalizeBlock returned")
	c.pending = nil
	return res
}

// TryNextBlock is NextBlock for a block that may halt the chain: it
// returns FinalizeBlock's error (x/upgrade's "UPGRADE … NEEDED" at a plan
// this binary has no handler for, which a node stops on) instead of
// failing the test. A block that fails is not committed and the chain's
// clock stays where it was, so that the same block can be tried again.
func (c *TestChain) TryNextBlock(t testing.TB, dt time.Duration) error {
	t.Helper()
	height := c.nextHeight()
	res, err := c.FinalizeBlock(&abci.RequestFinalizeBlock{
		Hash:               BlockHash(height),
		Height:             height,
		Time:               c.now.Add(dt),
		NextValidatorsHash: c.valSet.Hash(),
	})
	if err != nil {
		return err
	}
	c.now = c.now.Add(dt)
	_, err = c.Commit()
	require.NoError(t, err)
	require.Equal(t, res.AppHash, c.LastCommitID().Hash, "Commit committed the app hash FinalizeBlock returned")
	c.pending = nil
	return nil
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

// Now is the time of the last block.
func (c *TestChain) Now() time.Time { return c.now }

// Ctx returns the context of the block being built: it reads the committed
// state plus what the test wrote since, and what it writes is committed by
// the next NextBlock. It is the same context until then.
func (c *TestChain) Ctx() sdk.Context {
	if c.pending == nil {
		ctx := c.NewNextBlockContext(cmtproto.Header{Height: c.nextHeight(), Time: c.now, ChainID: ChainID})
		c.pending = &ctx
	}
	return *c.pending
}

// QueryCtx returns a context over the last committed state, as a gRPC query
// sees it. Writes to it are never committed, and reading through it leaves
// the block being built alone.
func (c *TestChain) QueryCtx() sdk.Context {
	return c.NewContextLegacy(true, cmtproto.Header{Height: c.LastBlockHeight(), Time: c.now, ChainID: ChainID})
}

// ExportAndRestart exports the chain at its last height, as `loopind export`
// does, and starts a new chain from that genesis at the next height with the
// same validators. It returns the new chain after its first block.
func (c *TestChain) ExportAndRestart(t testing.TB) *TestChain {
	t.Helper()
	next, exported := c.ExportAndImport(t)
	next.NextBlock(t, time.Second)
	require.Equal(t, exported.Height, next.LastBlockHeight())
	return next
}

// Exported is a chain's export: app_state and the height the next chain
// starts at.
type Exported struct {
	AppState json.RawMessage
	Height   int64
}

// ExportAndImport exports the chain at its last height, as `loopind export`
// does, and runs InitChain of a new chain with that genesis and the same
// validators. It returns the new chain before its first block (so its
// genesis state is not committed yet: read it with GenesisCtx), and the
// export.
func (c *TestChain) ExportAndImport(t testing.TB) (*TestChain, Exported) {
	t.Helper()
	exported, err := c.ExportAppStateAndValidators(false, nil, nil)
	require.NoError(t, err)
	require.Len(t, exported.Validators, c.valSet.Size(), "exported validator set")

	a := newApp(t, nil)
	next := &TestChain{App: a, Funded: c.Funded, FundedKey: c.FundedKey, valSet: c.valSet, now: c.now, initialHeight: exported.Height}
	_, err = a.InitChain(&abci.RequestInitChain{
		ChainId:         ChainID,
		Time:            c.now,
		InitialHeight:   exported.Height,
		ConsensusParams: consensusParams(0),
		AppStateBytes:   exported.AppState,
	})
	require.NoError(t, err)
	return next, Exported{AppState: exported.AppState, Height: exported.Height}
}

// GenesisCtx returns the context InitChain ran in, for a chain that has
// not finalized a block since: it reads the state genesis wrote before
// the first block commits it. Use it to export or inspect an imported chain
// at its genesis height.
func (c *TestChain) GenesisCtx() sdk.Context {
	return c.GetContextForFinalizeBlock(nil)
}

// ExportGenesis exports every module's genesis, as ExportAppStateAndValidators
// does, from ctx (discarding anything the export might write) and returns
// app_state.
func (c *TestChain) ExportGenesis(t testing.TB, ctx sdk.Context) json.RawMessage {
	t.Helper()
	cache, _ := ctx.CacheContext()
	// One module at a time: ExportGenesisForModules exports the modules it
	// is given in parallel goroutines, and a cached multistore creates its
	// per-store caches lazily, in a map that is not safe for that.
	gs := map[string]json.RawMessage{}
	for _, name := range c.ModuleManager.OrderExportGenesis {
		one, err := c.ModuleManager.ExportGenesisForModules(cache, c.AppCodec(), []string{name})
		require.NoError(t, err)
		for k, v := range one {
			gs[k] = v
		}
	}
	for _, name := range []string{"bank", "staking", "pools", "pocps", "stake", "rewards"} {
		require.Contains(t, gs, name, "%s exported", name)
	}
	bz, err := json.MarshalIndent(gs, "", "  ")
	require.NoError(t, err)
	return bz
}
