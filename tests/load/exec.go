package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"sort"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	dbm "github.com/cosmos/cosmos-db"
	gogoproto "github.com/cosmos/gogoproto/proto"

	"cosmossdk.io/log/v2"

	"github.com/cosmos/cosmos-sdk/baseapp"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/server"
	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"
	sdk "github.com/cosmos/cosmos-sdk/types"
	genutiltypes "github.com/cosmos/cosmos-sdk/x/genutil/types"

	"github.com/loopin-project/loopin/app"
	chaintypes "github.com/loopin-project/loopin/types"
	pocpstypes "github.com/loopin-project/loopin/x/pocps/types"
)

// ExecConfig is an in-process execution benchmark over a fixture: blocks
// of each mix finalized and committed by the App itself, with no network,
// mempool or consensus, on a goleveldb store as a node's.
type ExecConfig struct {
	// Genesis and Manifest are a fixture's (loopin-load fixture).
	Genesis  string
	Manifest *Manifest
	// Executor is "sequential" or "block-stm"; Workers Block-STM's workers
	// (0: one per CPU).
	Executor string
	Workers  int
	// BlockTxs is the transactions per block, Blocks the blocks per mix
	// (the market mixes run a block of buys then a block of their
	// terminates, Blocks times).
	BlockTxs int
	Blocks   int
	// Mixes to run, in order (default ExecMixes).
	Mixes []string
	// Progress, when set, receives a line per phase.
	Progress io.Writer
}

// ExecMixes are the mixes exec runs by default: those of run, the market
// mix within one pool (every purchase touches the same pool record: the
// parallel executor's worst case) and the challenge reports.
var ExecMixes = []string{MixBank, MixMarket, MixMarketOnePool, MixRenew, MixChallenge}

// ExecMix is one mix's blocks in an ExecResult.
type ExecMix struct {
	Mix    string `json:"mix"`
	Txs    int    `json:"txs"`
	Failed int    `json:"failed"`
	// FailCodes counts the failures by code and log prefix.
	FailCodes map[string]int `json:"fail_codes,omitempty"`
	// Finalize is the summed FinalizeBlock time of the mix's blocks, Commit
	// their summed Commit time.
	Finalize time.Duration `json:"finalize"`
	Commit   time.Duration `json:"commit"`
	// TxPerSec is Txs over Finalize + Commit: the executor's ceiling, with
	// no consensus or networking.
	TxPerSec float64 `json:"tx_per_sec"`
}

// ExecResult is what one executor measured.
type ExecResult struct {
	Executor string `json:"executor"`
	Workers  int    `json:"workers"`
	Devices  int    `json:"devices"`
	// Genesis is the time InitChain took to load the fixture.
	Genesis time.Duration `json:"genesis"`
	Mixes   []ExecMix     `json:"mixes"`
	// OrdinaryBlock is the median FinalizeBlock + Commit of three empty
	// blocks; EpochEndBlock that of the block in which the loopin epoch
	// ends; AfterEpochEnd the five blocks after it (left-over scheduled
	// challenges are issued there). ChallengesIssued counts the x/pocps
	// challenges issued in those six blocks.
	OrdinaryBlock    time.Duration   `json:"ordinary_block"`
	EpochEndBlock    time.Duration   `json:"epoch_end_block"`
	AfterEpochEnd    []time.Duration `json:"after_epoch_end"`
	ChallengesIssued int             `json:"challenges_issued"`
	ChallengesAtEnd  int             `json:"challenges_at_end"`
	// AppHash is the app hash after every block: equal executors give
	// equal hashes.
	AppHash string `json:"app_hash"`
}

// Exec runs cfg's blocks in an App loaded from the fixture's genesis.
// Errors: an unreadable genesis, FinalizeBlock or Commit failing.
func Exec(cfg ExecConfig) (*ExecResult, error) {
	app.SetAddressPrefixes()
	if cfg.Progress == nil {
		cfg.Progress = io.Discard
	}
	progress := cfg.Progress
	if len(cfg.Mixes) == 0 {
		cfg.Mixes = ExecMixes
	}
	gen, err := genutiltypes.AppGenesisFromFile(cfg.Genesis)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "loopin-exec-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	db, err := dbm.NewGoLevelDB("application", dir, nil)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	opts := simtestutil.AppOptionsMap{
		flags.FlagHome:             dir,
		server.FlagBlockExecutor:   cfg.Executor,
		server.FlagBlockSTMWorkers: cfg.Workers,
	}
	a := app.New(log.NewNopLogger(), db, true, opts, baseapp.SetChainID(gen.ChainID))
	res := &ExecResult{Executor: cfg.Executor, Workers: cfg.Workers, Devices: cfg.Manifest.Devices}

	if gen.Consensus == nil || gen.Consensus.Params == nil {
		return nil, fmt.Errorf("%s: no consensus parameters", cfg.Genesis)
	}
	cp := gen.Consensus.Params.ToProto()
	start := time.Now()
	if _, err := a.InitChain(&abci.RequestInitChain{
		ChainId: gen.ChainID, Time: gen.GenesisTime, ConsensusParams: &cp, AppStateBytes: gen.AppState, InitialHeight: gen.InitialHeight,
	}); err != nil {
		return nil, fmt.Errorf("InitChain: %w", err)
	}
	res.Genesis = time.Since(start)
	c := &inProcess{app: a, chainID: gen.ChainID, height: gen.InitialHeight - 1, now: gen.GenesisTime.Add(-time.Second)}
	timed := c.finalize
	if _, _, _, err := timed(nil, time.Second); err != nil {
		return nil, err
	}

	// The epoch end first, so that the mixes' blocks hold none.
	fmt.Fprintf(progress, "exec %s: ordinary and epoch-end blocks at %d devices\n", cfg.Executor, cfg.Manifest.Devices)
	var ordinary []time.Duration
	for range 3 {
		_, fin, com, err := timed(nil, time.Second)
		if err != nil {
			return nil, err
		}
		ordinary = append(ordinary, fin+com)
	}
	sort.Slice(ordinary, func(i, j int) bool { return ordinary[i] < ordinary[j] })
	res.OrdinaryBlock = ordinary[1]
	qctx := a.NewContextLegacy(true, cmtproto.Header{Height: c.height, Time: c.now, ChainID: c.chainID})
	info, err := a.EpochsKeeper.GetEpochInfo(qctx, chaintypes.EpochIdentifier)
	if err != nil {
		return nil, err
	}
	dt := max(info.CurrentEpochStartTime.Add(info.Duration).Sub(c.now)+time.Second, time.Second) // x/epochs ends an epoch strictly after its end time
	r, fin, com, err := timed(nil, dt)
	if err != nil {
		return nil, err
	}
	if !hasEvent(r.Events, gogoName(&epochEndEvent)) {
		return nil, fmt.Errorf("block %d at %s did not end the loopin epoch", c.height, c.now)
	}
	res.EpochEndBlock = fin + com
	res.ChallengesAtEnd = countEvents(r.Events, gogoName(&pocpstypes.EventChallengeIssued{}))
	res.ChallengesIssued = res.ChallengesAtEnd
	for range 5 {
		r, fin, com, err := timed(nil, time.Second)
		if err != nil {
			return nil, err
		}
		res.AfterEpochEnd = append(res.AfterEpochEnd, fin+com)
		res.ChallengesIssued += countEvents(r.Events, gogoName(&pocpstypes.EventChallengeIssued{}))
	}

	enc := a.TxConfig()
	for _, mix := range cfg.Mixes {
		if mix == MixChallenge {
			em, err := execChallenges(c, cfg)
			if err != nil {
				return nil, err
			}
			res.Mixes = append(res.Mixes, *em)
			continue
		}
		actors, err := mixActors(cfg.Manifest, mix)
		if err != nil {
			return nil, err
		}
		qctx := a.NewContextLegacy(true, cmtproto.Header{Height: c.height, Time: c.now, ChainID: c.chainID})
		for _, ac := range actors {
			acc := a.AccountKeeper.GetAccount(qctx, ac.addr)
			ac.seq, ac.accNum = acc.GetSequence(), acc.GetAccountNumber()
		}
		em := ExecMix{Mix: mix, FailCodes: map[string]int{}}
		rounds := 1
		if mix == MixMarket || mix == MixMarketOnePool {
			rounds = 2 // the buys, then their terminates
		}
		blockTxs := cfg.BlockTxs
		if mix == MixMarketOnePool {
			// One pool has about devices/classes idle devices to lease.
			blockTxs = min(blockTxs, cfg.Manifest.Devices/len(cfg.Manifest.Classes))
		}
		fmt.Fprintf(progress, "exec %s: %s, %d blocks of %d txs\n", cfg.Executor, mix, cfg.Blocks*rounds, blockTxs)
		next := 0
		for range cfg.Blocks {
			first := next
			for range rounds {
				next = first
				var txs [][]byte
				var msgs []sdk.Msg
				var who []*actor
				for range blockTxs {
					ac := actors[next%len(actors)]
					next++
					msg := nextMsg(cfg.Manifest, mix, ac)
					tx, err := signTx(enc, c.chainID, ac, msg)
					if err != nil {
						return nil, err
					}
					ac.seq++
					txs, msgs, who = append(txs, tx), append(msgs, msg), append(who, ac)
				}
				r, fin, com, err := timed(txs, time.Second)
				if err != nil {
					return nil, err
				}
				for i, tr := range r.TxResults {
					settle(who[i], msgs[i], tr.Code, tr.Data)
					if tr.Code != 0 {
						em.Failed++
						em.FailCodes[failKey(inclusion{code: tr.Code, log: tr.Log})]++
					}
				}
				em.Txs += len(txs)
				em.Finalize += fin
				em.Commit += com
			}
		}
		if total := em.Finalize + em.Commit; total > 0 {
			em.TxPerSec = float64(em.Txs) / total.Seconds()
		}
		res.Mixes = append(res.Mixes, em)
	}
	res.AppHash = hex.EncodeToString(a.LastCommitID().Hash)
	return res, nil
}

// execChallenges runs the challenge mix: the passing reports of the
// residency challenges pending since the epoch end (at most Blocks ×
// BlockTxs), in blocks of BlockTxs, after an untimed block that commits
// the challenged devices' real seals.
func execChallenges(c *inProcess, cfg ExecConfig) (*ExecMix, error) {
	timed := c.finalize
	txs, err := challengeTxs(c, cfg.Manifest, cfg.Blocks*cfg.BlockTxs)
	if err != nil {
		return nil, err
	}
	if _, _, _, err := timed(nil, time.Second); err != nil {
		return nil, err
	}
	fmt.Fprintf(cfg.Progress, "exec %s: %s, %d reports in blocks of %d\n", cfg.Executor, MixChallenge, len(txs), cfg.BlockTxs)
	em := &ExecMix{Mix: MixChallenge, FailCodes: map[string]int{}}
	for len(txs) > 0 {
		block := txs[:min(cfg.BlockTxs, len(txs))]
		txs = txs[len(block):]
		r, fin, com, err := timed(block, time.Second)
		if err != nil {
			return nil, err
		}
		for _, tr := range r.TxResults {
			switch {
			case tr.Code != 0:
				em.Failed++
				em.FailCodes[failKey(inclusion{code: tr.Code, log: tr.Log})]++
			case reportFailed(tr.Data):
				em.Failed++
				em.FailCodes["device failed"]++
			}
		}
		em.Txs += len(block)
		em.Finalize += fin
		em.Commit += com
	}
	if total := em.Finalize + em.Commit; total > 0 {
		em.TxPerSec = float64(em.Txs) / total.Seconds()
	}
	return em, nil
}

// blockHash is the made-up hash of an in-process block at height.
func blockHash(height int64) []byte {
	h := sha256.Sum256([]byte(fmt.Sprintf("loopin-load block %d", height)))
	return h[:]
}

// gogoName is the event type of a typed event msg.
func gogoName(msg gogoproto.Message) string { return gogoproto.MessageName(msg) }

func hasEvent(evs []abci.Event, typ string) bool { return countEvents(evs, typ) > 0 }

func countEvents(evs []abci.Event, typ string) int {
	n := 0
	for _, e := range evs {
		if e.Type == typ {
			n++
		}
	}
	return n
}
