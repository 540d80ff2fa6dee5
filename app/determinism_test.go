package app_test

import (
	"fmt"
	"maps"
	"math/rand"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	sdk "github.com/cosmos/cosmos-sdk/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"

	"github.com/loopin-project/loopin/app"
	"github.com/loopin-project/loopin/app/apptesting"
	"github.com/loopin-project/loopin/proof"
	chaintypes "github.com/loopin-project/loopin/types"
	pocpstypes "github.com/loopin-project/loopin/x/pocps/types"
	poolstypes "github.com/loopin-project/loopin/x/pools/types"
	rewardstypes "github.com/loopin-project/loopin/x/rewards/types"
	staketypes "github.com/loopin-project/loopin/x/stake/types"
)

// The determinism test's chains: 10 s epochs with a challenge every epoch
// and one confirmation, minute-long stakes and days, leases from 10 s, a 20 s
// challenge deadline (so that unanswered challenges are missed within the
// run), and the genesis validator's verifier registered with hotKey.
func determinismGenesis(hot sdk.AccAddress) []func(app.GenesisState) {
	return []func(app.GenesisState){
		apptesting.ShortEpochs(1),
		func(gs app.GenesisState) {
			cdc := app.MakeEncodingConfig().Codec
			var sg staketypes.GenesisState
			cdc.MustUnmarshalJSON(gs[staketypes.ModuleName], &sg)
			sg.Params.MinLpDuration, sg.Params.DayLength = time.Minute, time.Minute
			gs[staketypes.ModuleName] = cdc.MustMarshalJSON(&sg)
			var pg poolstypes.GenesisState
			cdc.MustUnmarshalJSON(gs[poolstypes.ModuleName], &pg)
			pg.Params.MinLeaseDuration = 10 * time.Second
			gs[poolstypes.ModuleName] = cdc.MustMarshalJSON(&pg)
			var staking stakingtypes.GenesisState
			cdc.MustUnmarshalJSON(gs[stakingtypes.ModuleName], &staking)
			var cg pocpstypes.GenesisState
			cdc.MustUnmarshalJSON(gs[pocpstypes.ModuleName], &cg)
			cg.Params.ChallengeDeadline = 20 * time.Second
			cg.Params.MaxMissed = 1000
			cg.Verifiers = []pocpstypes.Verifier{{Validator: staking.Validators[0].OperatorAddress, HotKey: hot.String(), Endpoint: "verifier:9500", VrfKey: apptesting.TestVRFKey(hot).PublicKey(), RegisteredAt: apptesting.GenesisTime}}
			gs[pocpstypes.ModuleName] = cdc.MustMarshalJSON(&cg)
		},
	}
}

// simUser is an account the simulation signs for.
type simUser struct {
	key  *secp256k1.PrivKey
	addr sdk.AccAddress
}

func newSimUser(name string) simUser {
	key := secp256k1.GenPrivKeyFromSecret([]byte("determinism " + name))
	return simUser{key, sdk.AccAddress(key.PubKey().Address())}
}

// sim builds random blocks of signed transactions from the committed state
// of one chain. Transactions are valid or not as chance has it: wrong
// owners or clients, short durations, unsealed or committed devices, too
// little money, no liquidity, nothing to claim, early or tampered reports,
// and challenges left to miss their deadline.
type sim struct {
	t       *testing.T
	c       *apptesting.TestChain
	r       *rand.Rand
	hot     simUser
	miners  []simUser
	clients []simUser
	// seals are the miners' sealings by fingerprint, to answer challenges.
	seals map[string]*proof.Sealing
	// devices counts the fingerprints drawn so far.
	devices int
	// block's transactions being built: their bytes, the kind of each and
	// the sequences used so far per signer.
	txs   [][]byte
	kinds []string
	seqs  map[string]uint64
}

func (s *sim) users() []simUser {
	return slices.Concat(s.miners, s.clients, []simUser{s.hot})
}

// add signs msg as u into the block being built, counted as kind.
func (s *sim) add(kind string, u simUser, msg sdk.Msg) {
	ctx := s.c.QueryCtx()
	acc := s.c.AccountKeeper.GetAccount(ctx, u.addr)
	require.NotNil(s.t, acc, "%s has no account", u.addr)
	seq, ok := s.seqs[u.addr.String()]
	if !ok {
		seq = acc.GetSequence()
	}
	s.seqs[u.addr.String()] = seq + 1
	s.txs = append(s.txs, s.c.SignTx(s.t, s.r, u.key, acc.GetAccountNumber(), seq, msg))
	s.kinds = append(s.kinds, kind)
}

func (s *sim) pick(us []simUser) simUser { return us[s.r.Intn(len(us))] }

func (s *sim) chance(p float64) bool { return s.r.Float64() < p }

// simState is what a block is built from: the committed devices, active
// leases and pending challenges.
type simState struct {
	devices    []pocpstypes.Device
	leases     []poolstypes.Lease
	challenges []pocpstypes.Challenge
}

func (s *sim) state() simState {
	ctx := s.c.QueryCtx()
	var st simState
	require.NoError(s.t, s.c.PocpsKeeper.Devices.Walk(ctx, nil, func(_ uint64, d pocpstypes.Device) (bool, error) {
		st.devices = append(st.devices, d)
		return false, nil
	}))
	require.NoError(s.t, s.c.PoolsKeeper.Leases.Walk(ctx, nil, func(_ uint64, l poolstypes.Lease) (bool, error) {
		if l.Status == poolstypes.LEASE_STATUS_ACTIVE {
			st.leases = append(st.leases, l)
		}
		return false, nil
	}))
	require.NoError(s.t, s.c.PocpsKeeper.Challenges.Walk(ctx, nil, func(_ uint64, ch pocpstypes.Challenge) (bool, error) {
		if ch.Status == pocpstypes.CHALLENGE_STATUS_PENDING {
			st.challenges = append(st.challenges, ch)
		}
		return false, nil
	}))
	return st
}

// device picks a device: with free, most often a sealed one without a
// stake (one that can be staked or sold), else any.
func (s *sim) device(st simState, free bool) (pocpstypes.Device, bool) {
	var ready []pocpstypes.Device
	for _, d := range st.devices {
		if d.Status == pocpstypes.DEVICE_STATUS_SEALED && d.StakeId == 0 {
			ready = append(ready, d)
		}
	}
	if free && len(ready) > 0 && s.chance(0.85) {
		return ready[s.r.Intn(len(ready))], true
	}
	if len(st.devices) == 0 {
		return pocpstypes.Device{}, false
	}
	return st.devices[s.r.Intn(len(st.devices))], true
}

// client is most often the lease's client, else any client.
func (s *sim) client(l poolstypes.Lease) simUser {
	if s.chance(0.8) {
		for _, u := range s.clients {
			if u.addr.String() == l.Client {
				return u
			}
		}
	}
	return s.pick(s.clients)
}

func (s *sim) owner(d pocpstypes.Device) simUser {
	for _, u := range s.miners {
		if u.addr.String() == d.Owner {
			return u
		}
	}
	s.t.Fatalf("device %d has an owner the simulation does not know", d.Id)
	return simUser{}
}

// block builds the next block: its time step and its transactions.
func (s *sim) block() (time.Duration, [][]byte, []string) {
	s.txs, s.kinds, s.seqs = nil, nil, map[string]uint64{}
	st := s.state()
	uloop := func(n int64) sdk.Coins { return sdk.NewCoins(sdk.NewInt64Coin(chaintypes.BondDenom, n)) }

	// The verifier answers most pending challenges, some too early, some
	// with a tampered sample, a few as failed (which fails the device).
	for _, ch := range st.challenges {
		if !s.chance(0.7) {
			continue
		}
		d, err := s.c.PocpsKeeper.Devices.Get(s.c.QueryCtx(), ch.DeviceId)
		if err != nil {
			continue
		}
		seal := s.seals[string(d.Fingerprint)]
		switch ch.Kind {
		case pocpstypes.CHALLENGE_KIND_SETUP:
			msg := apptesting.SetupReport(s.t, s.c, seal, s.hot.addr, ch)
			switch {
			case s.chance(0.1):
				msg.DeviceSignature[0] ^= 1 // refused: not the device's signature
			case s.chance(0.03):
				msg.Proof = nil // no answer: the device fails at `confirmations`
			}
			s.add("setup-result", s.hot, msg)
		case pocpstypes.CHALLENGE_KIND_RESIDENCY:
			msg := apptesting.Answer(s.t, s.c, seal, s.hot.addr, ch)
			switch {
			case s.chance(0.1):
				msg.ResidencyRoot[0] ^= 1 // refused: the root is not the device's signed one
			case s.chance(0.02):
				msg.Passed, msg.FailureReason = false, pocpstypes.FAILURE_REASON_LATE
			default:
				msg.W = math.NewInt(500_000 + s.r.Int63n(1_000_000))
			}
			s.add("challenge-result", s.hot, msg)
		}
	}

	// The users send what chance picks.
	for range s.r.Intn(6) {
		switch s.r.Intn(12) {
		case 0: // bank send, sometimes more than the sender holds
			from, to := s.pick(s.users()), s.pick(s.users())
			amount := 1 + s.r.Int63n(1_000_000)
			if s.chance(0.2) {
				amount = 1 << 55
			}
			s.add("send", from, &banktypes.MsgSend{FromAddress: from.addr.String(), ToAddress: to.addr.String(), Amount: uloop(amount)})
		case 1: // register a device, sometimes with a key height to come
			if s.devices >= 16 {
				continue
			}
			s.devices++
			m := s.pick(s.miners)
			fp := apptesting.Fingerprint(fmt.Sprintf("determinism gpu %d", s.devices))
			keyHeight := s.c.LastBlockHeight()
			if s.chance(0.1) {
				keyHeight += 5
			}
			seal, commit := apptesting.SealFor(s.t, s.c, m.addr, fp, keyHeight)
			s.seals[string(fp)] = seal
			s.add("register-device", m, apptesting.RegisterMsg(m.addr, fp, keyHeight, commit))
		case 2: // update a device, sometimes not one's own
			d, found := s.device(st, false)
			if !found {
				continue
			}
			u := s.owner(d)
			if s.chance(0.2) {
				u = s.pick(s.miners)
			}
			s.add("update-device", u, &pocpstypes.MsgUpdateDevice{Owner: u.addr.String(), DeviceId: d.Id, Endpoint: fmt.Sprintf("10.0.0.%d:9400", s.r.Intn(250)), Privacy: pocpstypes.PrivacyReport{Level: uint32(s.r.Intn(101))}})
		case 3: // deregister a device, most often a free one (refused while it is committed)
			if len(st.devices) < 6 || !s.chance(0.25) {
				continue
			}
			d, _ := s.device(st, true)
			s.add("deregister-device", s.owner(d), &pocpstypes.MsgDeregisterDevice{Owner: d.Owner, DeviceId: d.Id})
		case 4: // stake a device as an LP, sometimes for too short
			d, found := s.device(st, true)
			if !found {
				continue
			}
			dur := time.Duration(2+s.r.Intn(6)) * time.Minute
			if s.chance(0.1) {
				dur = 30 * time.Second
			}
			s.add("stake-lp", s.owner(d), &staketypes.MsgStakeLP{Owner: d.Owner, DeviceId: d.Id, Duration: dur, MaxUloopIn: math.NewInt(1 << 50)})
		case 5: // sell a device's time, sometimes for too many days
			d, found := s.device(st, true)
			if !found {
				continue
			}
			days := uint32(1 + s.r.Intn(2))
			if s.chance(0.1) {
				days = 9
			}
			s.add("sell-compute", s.owner(d), &staketypes.MsgSellCompute{Owner: d.Owner, DeviceId: d.Id, Days: days, MinUloopOut: math.ZeroInt()})
		case 6: // renew a device's stake (a sale is not renewed)
			var staked []pocpstypes.Device
			for _, d := range st.devices {
				if d.StakeId != 0 {
					staked = append(staked, d)
				}
			}
			if len(staked) == 0 {
				continue
			}
			d := staked[s.r.Intn(len(staked))]
			s.add("renew-stake", s.owner(d), &staketypes.MsgRenewStake{Owner: d.Owner, StakeId: d.StakeId, Epochs: uint32(1 + s.r.Intn(3)), MaxUloopIn: math.NewInt(1 << 50)})
		case 7: // buy a lease
			u := s.pick(s.clients)
			s.add("buy-lease", u, &poolstypes.MsgBuyLease{Client: u.addr.String(), GpuClass: "rtx-4090", Duration: time.Duration(20+s.r.Intn(60)) * time.Second, MaxUloopIn: math.NewInt(1 << 50)})
		case 8: // extend a lease, sometimes another's
			if len(st.leases) == 0 {
				continue
			}
			l := st.leases[s.r.Intn(len(st.leases))]
			u := s.client(l)
			s.add("extend-lease", u, &poolstypes.MsgExtendLease{Client: u.addr.String(), LeaseId: l.Id, Duration: time.Duration(10+s.r.Intn(30)) * time.Second, MaxUloopIn: math.NewInt(1 << 50)})
		case 9: // terminate a lease, sometimes another's
			if len(st.leases) == 0 {
				continue
			}
			l := st.leases[s.r.Intn(len(st.leases))]
			u := s.client(l)
			s.add("terminate-lease", u, &poolstypes.MsgTerminateLease{Client: u.addr.String(), LeaseId: l.Id, MinRefund: math.ZeroInt()})
		case 10: // claim rewards, whether there are any or not
			u := s.pick(s.users())
			s.add("claim-rewards", u, &rewardstypes.MsgClaimRewards{Claimant: u.addr.String()})
		case 11: // report a lease as not served, sometimes another's
			if len(st.leases) == 0 {
				continue
			}
			l := st.leases[s.r.Intn(len(st.leases))]
			u := s.client(l)
			s.add("report-lease", u, &pocpstypes.MsgReportLease{Client: u.addr.String(), LeaseId: l.Id})
		}
	}
	return time.Duration(1+s.r.Intn(4)) * time.Second, s.txs, s.kinds
}

// simRun is one chain driven through a seed's blocks by driveSim.
type simRun struct {
	// s is the driver; s.c is the chain.
	s *sim
	// startEpoch and endEpoch are the chain's epoch number before the
	// funding block and after the last random block.
	startEpoch, endEpoch int64
}

// driveSim sets up the chain of cfg.seed and drives it: the funding block,
// cfg.blocks random blocks, then the control block, which holds one
// transfer of 1 uloop with control and nothing without. It passes each
// block's record to emit as soon as the block is committed. Everything it
// does is drawn from cfg.seed and the chain's committed state, so that two
// processes given the same cfg build the same blocks; cfg.inject (for the
// harness's own test) breaks that at one height.
func driveSim(t *testing.T, cfg simConfig, control bool, emit func(simBlock)) simRun {
	hot := newSimUser("verifier")
	var opts map[string]any
	if cfg.executor != "" {
		opts = map[string]any{"block-executor": cfg.executor}
	}
	c := apptesting.SetupWithConfig(t, apptesting.Config{Rand: rand.New(rand.NewSource(cfg.seed)), Genesis: determinismGenesis(hot.addr), AppOptions: opts})
	s := &sim{t: t, c: c, r: rand.New(rand.NewSource(cfg.seed)), hot: hot, seals: map[string]*proof.Sealing{}}
	for i := range 3 {
		s.miners = append(s.miners, newSimUser(fmt.Sprintf("miner %d", i)))
		s.clients = append(s.clients, newSimUser(fmt.Sprintf("client %d", i)))
	}
	uloop := func(n int64) sdk.Coins { return sdk.NewCoins(sdk.NewInt64Coin(chaintypes.BondDenom, n)) }
	finalize := func(dt time.Duration, txs [][]byte, kinds []string) {
		res := c.FinalizeTxs(t, dt, txs)
		require.Len(t, res.TxResults, len(txs))
		require.NotEmpty(t, res.AppHash)
		emit(newSimBlock(c.LastBlockHeight(), txs, kinds, res))
	}

	// The first block funds every user from the genesis account.
	var fund []sdk.Msg
	for _, u := range s.users() {
		fund = append(fund, &banktypes.MsgSend{FromAddress: c.Funded.String(), ToAddress: u.addr.String(), Amount: uloop(50_000_000_000)})
	}
	acc := c.AccountKeeper.GetAccount(c.QueryCtx(), c.Funded)
	tx := c.SignTx(t, s.r, c.FundedKey, acc.GetAccountNumber(), acc.GetSequence(), fund...)
	start, err := c.EpochsKeeper.GetEpochInfo(c.QueryCtx(), chaintypes.EpochIdentifier)
	require.NoError(t, err)
	finalize(time.Second, [][]byte{tx}, []string{"fund"})

	for range cfg.blocks {
		dt, txs, kinds := s.block()
		if h := c.LastBlockHeight() + 1; cfg.inject.kind != "" && h == cfg.inject.height {
			switch cfg.inject.kind {
			case "tx": // one transfer more, signed with its own rand so that s.r draws on as the other process's does
				acc := c.AccountKeeper.GetAccount(c.QueryCtx(), c.Funded)
				txs = append(txs, c.SignTx(t, rand.New(rand.NewSource(h)), c.FundedKey, acc.GetAccountNumber(), acc.GetSequence(),
					&banktypes.MsgSend{FromAddress: c.Funded.String(), ToAddress: s.clients[0].addr.String(), Amount: uloop(1)}))
				kinds = append(kinds, "injected-transfer")
			case "state": // a write outside any transaction: the same block, another state
				require.NoError(t, c.BankKeeper.SendCoins(c.Ctx(), c.Funded, s.clients[0].addr, uloop(1)))
			}
		}
		finalize(dt, txs, kinds)
	}
	end, err := c.EpochsKeeper.GetEpochInfo(c.QueryCtx(), chaintypes.EpochIdentifier)
	require.NoError(t, err)

	// The control: one process's last block holds one transfer of 1 uloop
	// more than the other's, which must give another app hash, so that
	// the equal hashes before stand for equal states.
	var txs [][]byte
	var kinds []string
	if control {
		from, to := s.clients[0], s.clients[1]
		acc = c.AccountKeeper.GetAccount(c.QueryCtx(), from.addr)
		txs = [][]byte{c.SignTx(t, s.r, from.key, acc.GetAccountNumber(), acc.GetSequence(),
			&banktypes.MsgSend{FromAddress: from.addr.String(), ToAddress: to.addr.String(), Amount: uloop(1)})}
		kinds = []string{"control"}
	}
	finalize(time.Second, txs, kinds)
	return simRun{s: s, startEpoch: start.CurrentEpoch, endEpoch: end.CurrentEpoch}
}

// simKinds are the transactions every determinism run (or sweep) must see
// succeed at least once.
var simKinds = []string{"send", "register-device", "update-device", "deregister-device", "setup-result", "challenge-result",
	"stake-lp", "sell-compute", "renew-stake", "buy-lease", "extend-lease", "terminate-lease", "claim-rewards"}

// simCoverageBlocks is the fewest random blocks per seed for which a run
// (or a sweep, over all its seeds) must cover every kind of simKinds and
// refuse many: shorter runs check only the equality and the invariants.
const simCoverageBlocks = 200

// TestAppHashDeterminism runs seeded random blocks of signed transactions,
// over every Msg a LooPIN user sends (bank sends; device registration,
// update and deregistration; setup and challenge reports; LP stakes, sales
// and renewals; lease purchases, extensions and terminations; lease
// reports; reward claims), valid and invalid ones mixed, through
// FinalizeBlock (ante handler and router) across many epoch ends, on a
// chain in this process and on the same chain in a child process (this
// test binary run again: another map iteration seed, memory layout and GC
// timing), each driven by its own copy of the seeded driver. It asserts
// that the two agree, block by block, on the transactions, every
// transaction's result, the block's events and updates, and the app hash,
// and that a last block differing by one transfer gives another app hash.
// Over the run each kind of transaction succeeds at least once and many
// fail, so the comparison covers real state changes and refusals; the pool
// and stake invariants hold at the end.
//
// By default it runs seed 7 for 200 blocks. LOOPIN_SIM_EXECUTOR=block-stm
// runs the child on the SDK's Block-STM (TestAppHashDeterminismBlockSTM
// does so for one seed). LOOPIN_SIM_SEEDS ("1-50",
// "3,7,11") and LOOPIN_SIM_BLOCKS sweep seeds, each a subtest (make sim);
// coverage is then required over the whole sweep (for runs of at least
// simCoverageBlocks blocks), and per seed only the equality, the epochs
// and the invariants. A failure prints the seed, the
// height, both app hashes, the results that differ, the last blocks'
// hashes, the path of a log of every block (under LOOPIN_SIM_OUT or the
// system's temporary directory) and the command that reruns the seed.
func TestAppHashDeterminism(t *testing.T) {
	if v := os.Getenv(simChildEnv); v != "" {
		simChild(t, v)
		return
	}
	sweep, err := simSweepFromEnv()
	require.NoError(t, err)
	total := newSimStats()
	for _, seed := range sweep.seeds {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			cfg := simConfig{seed: seed, blocks: sweep.blocks, inject: sweep.inject, executor: os.Getenv(simExecutorEnv)}
			st := newSimStats()
			run, failure := simCompare(t, cfg, func(b simBlock) { st.count(t, b) })
			if failure != nil {
				t.Fatal(failure.report)
			}
			st.blocks, st.epochs = cfg.blocks, run.endEpoch-run.startEpoch
			t.Logf("seed=%d %s", seed, st.line())
			require.Equal(t, 1, st.ok["fund"], "the funding block")
			// Blocks are 1 to 4 s apart and epochs 10 s long.
			require.GreaterOrEqual(t, st.epochs, int64(cfg.blocks/10), "the run crosses many epoch ends")
			apptesting.CheckPools(t, run.s.c)
			apptesting.StakeHeld(t, run.s.c)
			total.add(st)
		})
	}
	if t.Failed() || sweep.blocks < simCoverageBlocks {
		return
	}
	if len(sweep.seeds) > 1 {
		t.Logf("all %d seeds: %s", len(sweep.seeds), total.line())
	}
	for _, k := range slices.Sorted(maps.Keys(total.reasons)) {
		t.Logf("%s refused: %q", k, total.reasons[k])
	}
	for _, kind := range simKinds {
		require.Positive(t, total.ok[kind], "no %s succeeded in %d blocks (seeds %v): a coverage gap, not a divergence", kind, total.blocks, sweep.seeds)
	}
	kindsFailed := 0
	for _, n := range total.failed {
		if n > 0 {
			kindsFailed++
		}
	}
	require.GreaterOrEqual(t, kindsFailed, 8, "invalid transactions of many kinds were refused: %v", total.failed)
}

// TestAppHashDeterminismBlockSTM is the attack on a validator's choice of
// block executor (app.toml block-executor): a proposer orders a block's
// transactions so that the SDK's Block-STM, which runs them in parallel and
// re-executes on conflicts, and sequential execution disagree, splitting
// the validators that chose one from those that chose the other. It drives
// the random blocks of TestAppHashDeterminism (every LooPIN message, valid
// and invalid, from miners and clients joining at different heights, trades
// of one pool in the same block, across epoch ends) here sequentially and
// in the child on Block-STM, and asserts that every block's results,
// events and app hash agree, and that the control block still differs.
func TestAppHashDeterminismBlockSTM(t *testing.T) {
	if os.Getenv(simChildEnv) != "" {
		t.Skip("the child runs TestAppHashDeterminism")
	}
	cfg := simConfig{seed: 7, blocks: 100, executor: "block-stm"}
	st := newSimStats()
	run, failure := simCompare(t, cfg, func(b simBlock) { st.count(t, b) })
	if failure != nil {
		t.Fatal(failure.report)
	}
	t.Logf("seed=%d, child on %s: %s", cfg.seed, cfg.executor, st.line())
	require.Positive(t, st.ok["buy-lease"], "purchases were compared")
	require.Positive(t, st.ok["terminate-lease"], "terminations were compared")
	apptesting.CheckPools(t, run.s.c)
	apptesting.StakeHeld(t, run.s.c)
}
