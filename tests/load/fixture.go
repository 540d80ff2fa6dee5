package main

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	dbm "github.com/cosmos/cosmos-db"

	"cosmossdk.io/log/v2"
	"cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/baseapp"
	"github.com/cosmos/cosmos-sdk/codec"
	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	epochstypes "github.com/cosmos/cosmos-sdk/x/epochs/types"
	genutiltypes "github.com/cosmos/cosmos-sdk/x/genutil/types"
	gogoproto "github.com/cosmos/gogoproto/proto"

	"cosmossdk.io/collections"

	"github.com/loopin-project/loopin/app"
	"github.com/loopin-project/loopin/proof"
	chaintypes "github.com/loopin-project/loopin/types"
	pocpstypes "github.com/loopin-project/loopin/x/pocps/types"
	poolstypes "github.com/loopin-project/loopin/x/pools/types"
	staketypes "github.com/loopin-project/loopin/x/stake/types"
)

// FixtureConfig sizes the fixture that BuildFixture writes into a genesis.
type FixtureConfig struct {
	// Devices is the number of sealed devices, spread round-robin over the
	// genesis's GPU classes, each with an LP stake of StakeDuration.
	Devices int
	// Clients is the number of funded client accounts (Key(RoleClient, i)).
	Clients int
	// Miners is the number of miner accounts owning the devices
	// (device i belongs to miner i mod Miners).
	Miners int
	// Funds is what every client and miner account holds, in uloop.
	Funds math.Int
	// StakeDuration is each LP stake's commitment.
	StakeDuration time.Duration
	// ChallengeInterval, when not 0, sets x/pocps challenge_interval
	// (epochs between a device's challenges): the local networks' genesis
	// challenges every device every epoch, which at 10 000 devices is a
	// load of its own.
	ChallengeInterval uint32
	// Epoch, when not 0, sets the `loopin` epoch's duration.
	Epoch time.Duration
	// Progress, when set, receives a line per phase.
	Progress io.Writer
}

// Manifest is what the load generator needs to know of a fixture, written
// beside its genesis: the accounts' numbers (to sign without querying) and
// the stakes each miner may renew.
type Manifest struct {
	ChainID string `json:"chain_id"`
	// Classes are the GPU classes the devices are spread over.
	Classes []string `json:"classes"`
	Devices int      `json:"devices"`
	// ClientAccounts and MinerAccounts hold the account number of
	// Key(RoleClient, i) and Key(RoleMiner, i) at index i.
	ClientAccounts []uint64 `json:"client_accounts"`
	MinerAccounts  []uint64 `json:"miner_accounts"`
	// Verifiers are the fixture's verifiers: Key(RoleVerifier, i) is the
	// hot key of Verifiers[i], which signs with VerifierVRFKey(i).
	Verifiers []VerifierRef `json:"verifiers"`
	// MinerStakes lists, for miner i, the ids of its LP stakes.
	MinerStakes [][]uint64 `json:"miner_stakes"`
	// Epoch is the `loopin` epoch's duration.
	Epoch time.Duration `json:"epoch"`
	// InitialHeight is the fixture chain's first height.
	InitialHeight int64 `json:"initial_height"`
}

// VerifierRef is one fixture verifier: its validator's operator address
// (a Challenge's verifier) and its hot key's account number.
type VerifierRef struct {
	Operator string `json:"operator"`
	Account  uint64 `json:"account"`
}

// BuildFixture reads the genesis at genesisPath (with its validators'
// gentxs, as `loopind genesis collect-gentxs` leaves it), runs it in an
// in-process App, adds cfg's accounts, sealed devices, LP stakes and one
// verifier per genesis validator, and returns the exported genesis (the
// new chain starts at the export's height, as after `loopind export`) and
// its manifest. The devices are written straight into x/pocps, sealed
// with a placeholder commitment of their class's sizes (they never answer
// a challenge: challenges issued to them are missed and wait, as for an
// offline device); the stakes go through MsgStakeLP. Errors: an unreadable
// genesis, a genesis without pools, a failed message.
func BuildFixture(genesisPath string, cfg FixtureConfig) (*genutiltypes.AppGenesis, *Manifest, error) {
	app.SetAddressPrefixes()
	progress := cfg.Progress
	if progress == nil {
		progress = io.Discard
	}
	if cfg.Devices < 1 || cfg.Clients < 1 || cfg.Miners < 1 {
		return nil, nil, fmt.Errorf("fixture: devices, clients and miners must each be at least 1 (got %d, %d, %d)", cfg.Devices, cfg.Clients, cfg.Miners)
	}
	gen, err := genutiltypes.AppGenesisFromFile(genesisPath)
	if err != nil {
		return nil, nil, fmt.Errorf("fixture: %w", err)
	}
	home, err := os.MkdirTemp("", "loopin-fixture-")
	if err != nil {
		return nil, nil, err
	}
	defer os.RemoveAll(home)
	a := app.New(log.NewNopLogger(), dbm.NewMemDB(), true, simtestutil.NewAppOptionsWithFlagHome(home), baseapp.SetChainID(gen.ChainID))
	cdc := a.AppCodec()

	var state app.GenesisState
	if err := json.Unmarshal(gen.AppState, &state); err != nil {
		return nil, nil, fmt.Errorf("fixture: app_state: %w", err)
	}
	classes, err := fixtureGenesis(cdc, state, cfg)
	if err != nil {
		return nil, nil, err
	}
	stateBytes, err := json.Marshal(state)
	if err != nil {
		return nil, nil, err
	}

	now := time.Now().UTC().Truncate(time.Second)
	var cp *cmtproto.ConsensusParams
	if gen.Consensus != nil && gen.Consensus.Params != nil {
		p := gen.Consensus.Params.ToProto()
		cp = &p
	}
	initial := max(gen.InitialHeight, 1)
	if _, err := a.InitChain(&abci.RequestInitChain{
		ChainId: gen.ChainID, Time: now, ConsensusParams: cp, AppStateBytes: stateBytes, InitialHeight: initial,
	}); err != nil {
		return nil, nil, fmt.Errorf("fixture: InitChain: %w", err)
	}
	chain := &inProcess{app: a, chainID: gen.ChainID, height: initial - 1, now: now}
	if err := chain.block(nil); err != nil {
		return nil, nil, err
	}

	man := &Manifest{ChainID: gen.ChainID, Classes: classes, Devices: cfg.Devices}
	ctx := chain.ctx()
	for i := range cfg.Clients {
		man.ClientAccounts = append(man.ClientAccounts, a.AccountKeeper.GetAccount(ctx, Address(RoleClient, i)).GetAccountNumber())
	}
	for i := range cfg.Miners {
		man.MinerAccounts = append(man.MinerAccounts, a.AccountKeeper.GetAccount(ctx, Address(RoleMiner, i)).GetAccountNumber())
	}
	info, err := a.EpochsKeeper.GetEpochInfo(ctx, chaintypes.EpochIdentifier)
	if err != nil {
		return nil, nil, err
	}
	man.Epoch = info.Duration

	fmt.Fprintf(progress, "fixture: a verifier per validator, %d sealed devices over %d classes\n", cfg.Devices, len(classes))
	if man.Verifiers, err = chain.putVerifiers(); err != nil {
		return nil, nil, err
	}
	if err := chain.putDevices(cfg.Devices, cfg.Miners, classes); err != nil {
		return nil, nil, err
	}
	fmt.Fprintf(progress, "fixture: %d LP stakes of %s (MsgStakeLP)\n", cfg.Devices, cfg.StakeDuration)
	man.MinerStakes = make([][]uint64, cfg.Miners)
	for id := 1; id <= cfg.Devices; id++ {
		miner := (id - 1) % cfg.Miners
		res, err := chain.deliver(&staketypes.MsgStakeLP{
			Owner: Address(RoleMiner, miner).String(), DeviceId: uint64(id), Duration: cfg.StakeDuration, MaxUloopIn: cfg.Funds,
		})
		if err != nil {
			return nil, nil, fmt.Errorf("fixture: stake device %d: %w", id, err)
		}
		var resp staketypes.MsgStakeLPResponse
		if err := unpackResponse(res, &resp); err != nil {
			return nil, nil, err
		}
		man.MinerStakes[miner] = append(man.MinerStakes[miner], resp.StakeId)
		if id%500 == 0 {
			if err := chain.block(nil); err != nil {
				return nil, nil, err
			}
			if id%2000 == 0 {
				fmt.Fprintf(progress, "fixture: %d/%d staked\n", id, cfg.Devices)
			}
		}
	}
	if err := chain.block(nil); err != nil {
		return nil, nil, err
	}

	exported, err := a.ExportAppStateAndValidators(false, nil, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("fixture: export: %w", err)
	}
	out := *gen
	out.AppState = exported.AppState
	out.InitialHeight = exported.Height
	out.GenesisTime = chain.now.Add(time.Second)
	out.Consensus = genutiltypes.NewConsensusGenesis(exported.ConsensusParams, exported.Validators)
	man.InitialHeight = exported.Height
	return &out, man, nil
}

// fixtureGenesis adds the clients' and miners' accounts and balances to
// state and applies cfg's parameters. It returns the GPU classes that have
// an active pool, in genesis order.
func fixtureGenesis(cdc codec.Codec, state app.GenesisState, cfg FixtureConfig) ([]string, error) {
	var auth authtypes.GenesisState
	cdc.MustUnmarshalJSON(state[authtypes.ModuleName], &auth)
	accounts, err := authtypes.UnpackAccounts(auth.Accounts)
	if err != nil {
		return nil, err
	}
	var bank banktypes.GenesisState
	cdc.MustUnmarshalJSON(state[banktypes.ModuleName], &bank)
	coins := sdk.NewCoins(sdk.NewCoin(chaintypes.BondDenom, cfg.Funds))
	add := func(addr sdk.AccAddress) {
		accounts = append(accounts, authtypes.NewBaseAccount(addr, nil, 0, 0))
		bank.Balances = append(bank.Balances, banktypes.Balance{Address: addr.String(), Coins: coins})
		if !bank.Supply.IsZero() {
			bank.Supply = bank.Supply.Add(coins...)
		}
	}
	for i := range cfg.Clients {
		add(Address(RoleClient, i))
	}
	for i := range cfg.Miners {
		add(Address(RoleMiner, i))
	}
	for i := range MaxVerifiers {
		add(Address(RoleVerifier, i))
	}
	if auth.Accounts, err = authtypes.PackAccounts(authtypes.SanitizeGenesisAccounts(accounts)); err != nil {
		return nil, err
	}
	state[authtypes.ModuleName] = cdc.MustMarshalJSON(&auth)
	state[banktypes.ModuleName] = cdc.MustMarshalJSON(&bank)

	if cfg.ChallengeInterval > 0 {
		var pocps pocpstypes.GenesisState
		cdc.MustUnmarshalJSON(state[pocpstypes.ModuleName], &pocps)
		pocps.Params.ChallengeInterval = cfg.ChallengeInterval
		state[pocpstypes.ModuleName] = cdc.MustMarshalJSON(&pocps)
	}
	if cfg.Epoch > 0 {
		var epochs epochstypes.GenesisState
		cdc.MustUnmarshalJSON(state[epochstypes.ModuleName], &epochs)
		for i := range epochs.Epochs {
			if epochs.Epochs[i].Identifier == chaintypes.EpochIdentifier {
				epochs.Epochs[i].Duration = cfg.Epoch
			}
		}
		state[epochstypes.ModuleName] = cdc.MustMarshalJSON(&epochs)
	}

	var pools poolstypes.GenesisState
	cdc.MustUnmarshalJSON(state[poolstypes.ModuleName], &pools)
	var classes []string
	for _, p := range pools.Pools {
		if p.Status == poolstypes.POOL_STATUS_ACTIVE {
			classes = append(classes, p.GpuClass)
		}
	}
	if len(classes) == 0 {
		return nil, errors.New("fixture: the genesis has no active pool")
	}
	return classes, nil
}

// inProcess drives an App block by block, as the fixture builder and the
// execution benchmark do.
type inProcess struct {
	app     *app.App
	chainID string
	height  int64
	now     time.Time
	pending *sdk.Context
}

// ctx is the context of the block being built: what is written through it
// is committed by the next block.
func (c *inProcess) ctx() sdk.Context {
	if c.pending == nil {
		ctx := c.app.NewNextBlockContext(cmtproto.Header{Height: c.height + 1, Time: c.now, ChainID: c.chainID})
		c.pending = &ctx
	}
	return *c.pending
}

// block finalizes and commits a block holding txs 100 ms after the last
// (the fixture's ~30 blocks then end no epoch), and returns an error if
// FinalizeBlock fails.
func (c *inProcess) block(txs [][]byte) error {
	_, _, _, err := c.finalize(txs, 100*time.Millisecond)
	return err
}

// finalize finalizes and commits a block holding txs dt after the last and
// returns its result and how long FinalizeBlock and Commit took.
func (c *inProcess) finalize(txs [][]byte, dt time.Duration) (res *abci.ResponseFinalizeBlock, fin, com time.Duration, err error) {
	c.now = c.now.Add(dt)
	c.height++
	t0 := time.Now()
	res, err = c.app.FinalizeBlock(&abci.RequestFinalizeBlock{Txs: txs, Hash: blockHash(c.height), Height: c.height, Time: c.now})
	if err != nil {
		return nil, 0, 0, fmt.Errorf("block %d: %w", c.height, err)
	}
	fin = time.Since(t0)
	c.pending = nil
	t1 := time.Now()
	if _, err := c.app.Commit(); err != nil {
		return nil, 0, 0, fmt.Errorf("commit %d: %w", c.height, err)
	}
	return res, fin, time.Since(t1), nil
}

// deliver runs msg through the Msg router in a cached context of the
// block being built, written only when it succeeds (no ante handler).
func (c *inProcess) deliver(msg sdk.Msg) (*sdk.Result, error) {
	cache, write := c.ctx().CacheContext()
	res, err := c.app.MsgServiceRouter().Handler(msg)(cache, msg)
	if err == nil {
		write()
	}
	return res, err
}

// putVerifiers registers a verifier for every bonded validator (at most
// MaxVerifiers), in power order, the i-th with hot key Key(RoleVerifier, i)
// and VRF key VerifierVRFKey(i), and returns them.
func (c *inProcess) putVerifiers() ([]VerifierRef, error) {
	ctx := c.ctx()
	vals, err := c.app.StakingKeeper.GetBondedValidatorsByPower(ctx)
	if err != nil {
		return nil, err
	}
	var refs []VerifierRef
	for i, v := range vals[:min(len(vals), MaxVerifiers)] {
		valAddr, err := sdk.ValAddressFromBech32(v.OperatorAddress)
		if err != nil {
			return nil, err
		}
		hot := Address(RoleVerifier, i)
		if _, err := c.deliver(&pocpstypes.MsgRegisterVerifier{Operator: sdk.AccAddress(valAddr).String(), HotKey: hot.String(),
			Endpoint: "127.0.0.1:1", VrfKey: VerifierVRFKey(i).PublicKey()}); err != nil {
			return nil, fmt.Errorf("fixture: verifier of %s: %w", v.OperatorAddress, err)
		}
		refs = append(refs, VerifierRef{Operator: v.OperatorAddress, Account: c.app.AccountKeeper.GetAccount(ctx, hot).GetAccountNumber()})
	}
	return refs, nil
}

// VerifierVRFKey is the VRF key the fixture registers for the i-th bonded
// validator's verifier.
func VerifierVRFKey(i int) proof.VRFKey {
	k, err := proof.NewVRFKey(sha256.Sum256([]byte(fmt.Sprintf("loopin-load/vrf/%d", i))))
	if err != nil {
		panic(err)
	}
	return k
}

// putDevices writes devices 1…n straight into x/pocps: sealed now, owned by
// miner (id-1) mod miners, class classes[(id-1) mod len], each with its
// last-pass record and a place in the challenge schedule (as a passed setup
// leaves them), committing every 1 000.
func (c *inProcess) putDevices(n, miners int, classes []string) error {
	k := c.app.PocpsKeeper
	params, err := k.Params.Get(c.ctx())
	if err != nil {
		return err
	}
	seals := map[string]pocpstypes.SealCommitment{}
	for _, class := range classes {
		_, seal, _, err := c.app.PoolsKeeper.ClassInfo(c.ctx(), class)
		if err != nil {
			return err
		}
		commit := pocpstypes.SealCommitment{Params: pocpstypes.SealParamsFromProof(seal)}
		for range seal.Layers {
			commit.LayerRoots = append(commit.LayerRoots, make([]byte, 32))
		}
		seals[class] = commit
	}
	for id := 1; id <= n; id++ {
		ctx := c.ctx()
		fp := sha256.Sum256([]byte(fmt.Sprintf("loopin-load/device/%d", id)))
		class := classes[(id-1)%len(classes)]
		d := pocpstypes.Device{
			Id: uint64(id), Owner: Address(RoleMiner, (id-1)%miners).String(), GpuClass: class, Fingerprint: fp[:],
			Key: fp[:], DevicePubkey: DeviceAnswerKey(fp[:]).Public().(ed25519.PublicKey), Seal: seals[class], Endpoint: "127.0.0.1:1",
			Status: pocpstypes.DEVICE_STATUS_SEALED, RegisteredAt: ctx.BlockTime(), SealedAt: ctx.BlockTime(),
			LastVerified: ctx.BlockTime(), W: math.ZeroInt(), Deposit: math.ZeroInt(),
		}
		if err := k.Devices.Set(ctx, d.Id, d); err != nil {
			return err
		}
		if err := k.LastPasses.Set(ctx, d.Id, ctx.BlockTime().UnixNano()); err != nil {
			return err
		}
		epoch := int64(1) + int64(id)%int64(params.ChallengeInterval)
		if err := k.Schedule.Set(ctx, collections.Join(epoch, d.Id)); err != nil {
			return err
		}
		if id%1000 == 0 || id == n {
			if err := k.DeviceSeq.Set(ctx, uint64(id)); err != nil {
				return err
			}
			if err := c.block(nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// DeviceAnswerKey is the answer key of the fixture device with fingerprint
// fp (its DevicePubkey is the public half): what the challenge mix signs
// the device's answers with.
func DeviceAnswerKey(fp []byte) ed25519.PrivateKey {
	seed := sha256.Sum256(append([]byte("loopin-load/device-key/"), fp...))
	return ed25519.NewKeyFromSeed(seed[:])
}

// unpackResponse decodes the first Msg response of res into resp.
func unpackResponse(res *sdk.Result, resp gogoproto.Message) error {
	if len(res.MsgResponses) == 0 {
		return errors.New("no Msg response")
	}
	return gogoproto.Unmarshal(res.MsgResponses[0].Value, resp)
}
