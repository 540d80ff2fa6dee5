package market

import (
	"container/heap"
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"slices"
	"time"

	sdkmath "cosmossdk.io/math"

	"github.com/loopin-project/loopin/x/pools/ledger"
	rewardskeeper "github.com/loopin-project/loopin/x/rewards/keeper"
	staketypes "github.com/loopin-project/loopin/x/stake/types"
)

// Start is the simulated chain's first block time (the unix seconds the
// ledger counts from); reports give times relative to it.
var Start = time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)

// kind is what a scheduled action does.
type kind uint8

const (
	evEpoch     kind = iota // epoch end: rewards, a sample, sellers decide
	evStake                 // a miner commits (LP stake) or becomes free (seller)
	evRenew                 // an LP decides, one epoch before its end, whether to renew
	evArrival               // a client arrives
	evTerminate             // a client ends its lease early
	evOffline               // a device goes offline
	evConfirm               // a device's failure is confirmed at its next challenge
	evRelease               // a sale's grace is over: collateral and deposit back
	evEnd                   // a commitment's end: the ledger settles it (advance), nothing more
)

// action is one scheduled step; gen voids actions of a commitment that has
// since ended (a failure cancels its renewal, release or next failure).
type action struct {
	at    int64
	seq   uint64
	kind  kind
	miner int
	gen   uint64
	lease uint64
}

type queue []action

func (q queue) Len() int { return len(q) }
func (q queue) Less(i, j int) bool {
	if q[i].at != q[j].at {
		return q[i].at < q[j].at
	}
	return q[i].seq < q[j].seq
}
func (q queue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *queue) Push(x any)   { *q = append(*q, x.(action)) }
func (q *queue) Pop() any {
	old := *q
	a := old[len(old)-1]
	*q = old[:len(old)-1]
	return a
}

// StakeResult is one LP stake or sale of the run, from its start to its end
// (renewals included), in uloop and seconds. A commitment still running at
// the end of the run is valued as if its device failed then (Open: its
// unsold time at the spot price, at most at its entry price, and what it is
// owed), without a failure's penalties.
type StakeResult struct {
	Miner      int
	Sale       bool
	Start, End int64 // unix seconds; End is the commitment's end (or failure)
	Seconds    int64 // committed seconds, End − Start
	Renewals   int
	// Injected is what an LP put into L (stake and renewals); Payout what
	// came back from the pool (settlement, failure return, or the valuation
	// of an open position).
	Injected, Payout int64
	// Proceeds is what a seller received for its days (quote less fee).
	Proceeds int64
	// Rewards is the miners' emission credited to the device for the
	// commitment's seconds; Fee the staking fee burned (α).
	Rewards, Fee int64
	// Lost is a failed sale's collateral and deposit that did not come back.
	Lost   int64
	Failed bool
	Open   bool
}

// Net is what the commitment earned, uloop: the pool's return (payout −
// injected, or the sale's proceeds), rewards, less the staking fee and what
// a failure took.
func (s StakeResult) Net() int64 {
	return s.Payout - s.Injected + s.Proceeds + s.Rewards - s.Fee - s.Lost
}

// BalanceNet is whitepaper §5's balance, uloop: the rewards less the
// staking fee α and the maintenance β × T over the commitment's T seconds —
// negative exactly when T is short of T_min = α/(γ−β) at the realized γ.
func (s StakeResult) BalanceNet(beta sdkmath.LegacyDec) int64 {
	return s.Rewards - s.Fee - beta.MulInt64(s.Seconds).Ceil().TruncateInt64()
}

// Sample is the market at an epoch end.
type Sample struct {
	// At is the time since Start.
	At time.Duration
	// Spot is the spot price L/H, uloop per GPU-hour (0 while H = 0).
	Spot float64
	// Unsold is H in GPU-hours; Reserve is L in uloop.
	Unsold, Reserve float64
	// Committed counts the devices in the pool (LP and sold, failed sold
	// devices excluded), Leased those serving a lease, Sold the sold ones.
	Committed, Leased, Sold int
	// Purchases and Refused count the epoch's lease purchases and the
	// arrivals that found no device or a pool too shallow.
	Purchases, Refused int
	// Gamma is the epoch's realized reward rate, uloop per committed
	// GPU-second (the miners' pot over the committed seconds).
	Gamma float64
}

// Result is a whole run: the samples, every commitment and the summary.
type Result struct {
	Config  Config
	Samples []Sample
	Stakes  []StakeResult
	Summary Summary
}

type miner struct {
	seller    bool
	gen       uint64
	dev       uint64 // the ledger device of the commitment, 0 when free
	idx       int    // its record in Result.Stakes, −1 before the first
	segStart  int64  // start of the commitment's seconds in this epoch
	inGrace   bool
	offline   int64 // when it went offline, 0 while online
	lastPass  int64
	coll, dep sdkmath.Int
}

type sim struct {
	cfg   Config
	rng   *rand.Rand
	book  *ledger.Book
	ref   *big.Rat // reference price, uloop per GPU-second
	refF  float64
	feeF  float64 // the exchange fee, a fraction
	q     queue
	seq   uint64
	now   int64
	end   int64
	epoch int64 // the number of the epoch that is running (from 1)

	miners  []*miner
	owner   map[uint64]int // ledger device → miner
	nextDev uint64
	leases  []uint64 // leases not yet seen to end

	secs      []int64 // per record: committed seconds in the running epoch, not yet rewarded
	closed    []int   // records that ended in the running epoch
	epochFrom int64
	purchases int
	refused   int

	res    Result
	totals totals
}

type totals struct {
	exchangeFees                      *big.Int
	stakingFees, lostCollateral       sdkmath.Int
	clientPaid, clientRefund          *big.Int
	boughtSecs, returnedSecs          int64
	leases, refusedNoDevice, shallow  int
	terminated, broken, failures      int
	rewardsPaid                       sdkmath.Int
	salesRefusedNoLP, salesRefusedLow int
}

// Run simulates cfg and returns its result. Errors: ErrConfig (and the
// chain's parameter errors) for a config Validate refuses, and
// ledger.ErrInvariant when Check is set and a step breaks the ledger's
// invariants — which would be a bug in the chain's rules.
func Run(cfg Config) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	ref := cfg.referencePrice()
	refRat, ok := new(big.Rat).SetString(ref.String())
	if !ok {
		return nil, fmt.Errorf("%w: reference price %s", ErrConfig, ref)
	}
	fee := cfg.Pools.ExchangeFee.BigInt()
	if !fee.IsInt64() {
		return nil, fmt.Errorf("%w: exchange fee %s", ErrConfig, cfg.Pools.ExchangeFee)
	}
	t0 := Start.Unix()
	s := &sim{
		cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, 0x6c6f6f70696e)),
		book: ledger.NewBook(ledger.NewPool(t0, fee.Int64(), sdkmath.LegacyOneDec().BigInt().Int64(), refRat)),
		ref:  refRat, refF: ref.MustFloat64(), feeF: cfg.Pools.ExchangeFee.MustFloat64(), now: t0, end: t0 + int64(cfg.Days)*86400, epoch: 1,
		owner: map[uint64]int{}, epochFrom: t0,
	}
	s.totals = totals{exchangeFees: new(big.Int), stakingFees: sdkmath.ZeroInt(), lostCollateral: sdkmath.ZeroInt(),
		clientPaid: new(big.Int), clientRefund: new(big.Int), rewardsPaid: sdkmath.ZeroInt()}
	s.res.Config = cfg
	for i := 0; i < cfg.LPDevices+cfg.Sellers; i++ {
		m := &miner{seller: i >= cfg.LPDevices, idx: -1}
		s.miners = append(s.miners, m)
		if !m.seller {
			s.schedule(t0+int64(s.rng.Float64()*cfg.joinWindow().Seconds()), evStake, i, 0, 0)
		}
	}
	s.schedule(t0+s.epochSeconds(), evEpoch, -1, 0, 0)
	if cfg.Demand > 0 {
		s.scheduleArrival()
	}
	for s.q.Len() > 0 {
		a := heap.Pop(&s.q).(action)
		if a.at > s.end {
			break
		}
		if err := s.advance(a.at); err != nil {
			return nil, err
		}
		if err := s.do(a); err != nil {
			return nil, err
		}
		if cfg.Check {
			if err := s.book.CheckInvariants(); err != nil {
				return nil, fmt.Errorf("at %s, after %s: %w", time.Duration(a.at-t0)*time.Second, a.kind, err)
			}
		}
	}
	if err := s.advance(s.end); err != nil {
		return nil, err
	}
	s.valueOpen()
	s.res.Summary = summarize(&s.res, s)
	return &s.res, nil
}

func (k kind) String() string {
	return [...]string{"epoch end", "stake", "renewal", "arrival", "termination", "offline", "failure", "release", "commitment end"}[k]
}

func (s *sim) epochSeconds() int64 { return int64(s.cfg.Epoch / time.Second) }

func (s *sim) schedule(at int64, k kind, m int, gen uint64, lease uint64) {
	s.seq++
	heap.Push(&s.q, action{at: at, seq: s.seq, kind: k, miner: m, gen: gen, lease: lease})
}

// exp draws an exponential time of the given mean, in whole seconds.
func (s *sim) exp(mean time.Duration) int64 {
	return int64(s.rng.ExpFloat64() * mean.Seconds())
}

// spot is the spot price in uloop per GPU-second, the reference price
// while the pool holds no unsold time.
func (s *sim) spot() float64 {
	if p := s.book.Price(); p != nil {
		f, _ := p.Float64()
		return f
	}
	return s.refF
}

func (s *sim) scheduleArrival() {
	// Clients see what they pay: the spot price plus the exchange fee.
	rate := s.cfg.Demand * math.Pow(s.refF/(s.spot()*(1+s.feeF)), s.cfg.Elasticity) // per hour
	if rate <= 0 || math.IsInf(rate, 0) || math.IsNaN(rate) {
		rate = s.cfg.Demand
	}
	s.schedule(s.now+1+int64(s.rng.ExpFloat64()/rate*3600), evArrival, -1, 0, 0)
}

// rec is miner m's current (or last) record. The pointer is good until the
// next commitment starts (Result.Stakes grows).
func (s *sim) rec(m *miner) *StakeResult { return &s.res.Stakes[m.idx] }

// advance accounts the ledger up to t: dissipation, lease ends and
// commitment ends (settled and paid, ledger.Book.Advance), then the
// simulator's records of what ended.
func (s *sim) advance(t int64) error {
	if t < s.now {
		t = s.now
	}
	paid, err := s.book.Advance(t)
	if err != nil {
		return err
	}
	s.now = t
	ids := make([]uint64, 0, len(paid))
	for id := range paid {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		i, ok := s.owner[id]
		if !ok {
			continue // a failed sold device's stream ran out
		}
		delete(s.owner, id)
		m := s.miners[i]
		r := s.rec(m)
		r.Payout += paid[id].Int64()
		end := r.End
		s.closeCommitment(m, end)
		if m.seller {
			// The grace: failures are still caught (same gen) until the release.
			m.inGrace = true
			s.schedule(end+int64(s.cfg.Stake.SaleGracePeriod/time.Second), evRelease, i, m.gen, 0)
		} else {
			m.gen++
			s.schedule(max(t, end)+s.exp(s.cfg.LPReturn), evStake, i, m.gen, 0)
		}
	}
	// Forget the leases that have ended (at their end, terminated, broken).
	kept := s.leases[:0]
	for _, id := range s.leases {
		if l, ok := s.book.Leases[id]; ok && !l.Ended {
			kept = append(kept, id)
			continue
		}
		s.book.Forget(id)
	}
	s.leases = kept
	return nil
}

// closeCommitment ends m's commitment at t: its device leaves, its last
// seconds are counted for the epoch's rewards.
func (s *sim) closeCommitment(m *miner, t int64) {
	r := s.rec(m)
	r.End, r.Seconds = t, t-r.Start
	s.secs[m.idx] += max(0, t-max(m.segStart, s.epochFrom))
	s.closed = append(s.closed, m.idx)
	m.dev = 0
}

func (s *sim) do(a action) error {
	switch a.kind {
	case evEpoch:
		return s.epochEnd()
	case evEnd:
		return nil // advance has settled what ended
	case evArrival:
		err := s.arrive()
		s.scheduleArrival()
		return err
	case evTerminate:
		l, ok := s.book.Leases[a.lease]
		if !ok || l.Ended {
			return nil
		}
		refund, err := s.book.Terminate(a.lease)
		if err != nil {
			return fmt.Errorf("terminate lease %d: %w", a.lease, err)
		}
		s.totals.clientRefund.Add(s.totals.clientRefund, refund)
		s.totals.returnedSecs += l.End - s.now
		s.totals.terminated++
		return nil
	}
	m := s.miners[a.miner]
	if a.gen != m.gen {
		return nil // the commitment this was for has ended
	}
	switch a.kind {
	case evStake:
		if m.seller {
			m.inGrace = false // free again: sells at an epoch end when the price is right
			return nil
		}
		return s.stakeLP(a.miner)
	case evRenew:
		return s.renew(a.miner)
	case evOffline:
		return s.offline(a.miner)
	case evConfirm:
		return s.confirm(a.miner)
	case evRelease:
		m.inGrace = false
		m.gen++
		return nil
	}
	return fmt.Errorf("unknown action %d", a.kind)
}

// newCommitment starts m's record of a commitment of dev from now to end,
// with its staking fee burned, and draws when its device will go offline.
func (s *sim) newCommitment(i int, dev uint64, end int64) {
	m := s.miners[i]
	m.dev, m.segStart, m.offline, m.lastPass = dev, s.now, 0, s.now
	s.res.Stakes = append(s.res.Stakes, StakeResult{Miner: i, Sale: m.seller, Start: s.now, End: end, Fee: s.cfg.Stake.StakingFee.Int64()})
	s.secs = append(s.secs, 0)
	m.idx = len(s.res.Stakes) - 1
	s.owner[dev] = i
	s.schedule(end, evEnd, -1, 0, 0)
	s.totals.stakingFees = s.totals.stakingFees.Add(s.cfg.Stake.StakingFee)
	if s.cfg.FailureRate > 0 {
		s.schedule(s.now+s.exp(time.Duration(float64(24*time.Hour)/s.cfg.FailureRate)), evOffline, i, m.gen, 0)
	}
}

// stakeLP commits LP miner i's device for LPStake (MsgStakeLP: the
// staking fee burned, its time joins H at the spot price).
func (s *sim) stakeLP(i int) error {
	m := s.miners[i]
	if err := s.cfg.Stake.CheckLPDuration(s.cfg.LPStake); err != nil {
		return err
	}
	s.nextDev++
	end := s.now + int64(s.cfg.LPStake/time.Second)
	in, err := s.book.StakeLP(s.nextDev, end)
	if err != nil {
		return fmt.Errorf("stake device %d: %w", s.nextDev, err)
	}
	s.newCommitment(i, s.nextDev, end)
	s.rec(m).Injected = in.Int64()
	if s.rng.Float64() < s.cfg.LPRenew {
		s.schedule(end-s.epochSeconds(), evRenew, i, m.gen, 0)
	}
	return nil
}

// renew extends m's LP stake by ⌈LPStake/epoch⌉ whole epochs (MsgRenewStake:
// no second fee), unless its device is offline.
func (s *sim) renew(i int) error {
	m := s.miners[i]
	if m.offline != 0 || m.dev == 0 {
		return nil
	}
	r := s.rec(m)
	epoch := s.cfg.Epoch
	epochs := uint32((s.cfg.LPStake + epoch - 1) / epoch)
	added, err := staketypes.RenewalAdded(time.Unix(s.now, 0), time.Unix(r.End, 0), epochs, epoch)
	if err != nil {
		return nil // past MaxCommitment: the chain refuses, the stake expires
	}
	newEnd := r.End + int64(added/time.Second)
	in, err := s.book.Renew(m.dev, newEnd)
	if err != nil {
		return fmt.Errorf("renew device %d: %w", m.dev, err)
	}
	r.Injected += in.Int64()
	r.End = newEnd
	s.schedule(newEnd, evEnd, -1, 0, 0)
	r.Renewals++
	if s.rng.Float64() < s.cfg.LPRenew {
		s.schedule(newEnd-s.epochSeconds(), evRenew, i, m.gen, 0)
	}
	return nil
}

// sell has free seller i sell whole days when the price is at least
// SellAbove × the reference price (MsgSellCompute: the staking fee burned,
// collateral and deposit locked, the quote less the fee paid).
func (s *sim) sell(i int) error {
	m := s.miners[i]
	price := s.book.Price()
	if price == nil {
		return nil
	}
	if f, _ := price.Float64(); f < s.cfg.SellAbove*s.refF {
		return nil
	}
	span := int(s.cfg.Stake.SellMaxDays - s.cfg.Stake.SellMinDays)
	days := s.cfg.Stake.SellMinDays + uint32(s.rng.IntN(span+1))
	d, err := s.cfg.Stake.SaleDuration(days)
	if err != nil {
		return err
	}
	seconds := int64(d / time.Second)
	if _, _, err := s.book.QuoteSell(seconds); err != nil {
		s.totals.salesRefusedNoLP++
		return nil // no LP position: the chain refuses the sale
	}
	one := sdkmath.LegacyOneDec().BigInt()
	spot := sdkmath.LegacyNewDecFromBigIntWithPrec(new(big.Int).Quo(new(big.Int).Mul(s.book.L, one), big.NewInt(s.book.H)), sdkmath.LegacyPrecision)
	coll, dep := s.cfg.Stake.SaleLocks(spot, seconds)
	s.nextDev++
	got, err := s.book.Sell(s.nextDev, s.now+seconds)
	if err != nil {
		return fmt.Errorf("sell device %d: %w", s.nextDev, err)
	}
	s.newCommitment(i, s.nextDev, s.now+seconds)
	s.rec(m).Proceeds = got.Int64()
	m.coll, m.dep = coll, dep
	return nil
}

// arrive is a client's purchase: a lease of a log-uniform length on the
// device the keeper would match — the idle device whose commitment covers
// it with the longest commitment (x/pools keeper.match; every device here
// passed its last challenge, offline ones included until their failure is
// confirmed).
func (s *sim) arrive() error {
	lo, hi := s.cfg.LeaseMin.Minutes(), s.cfg.LeaseMax.Minutes()
	h := int64(math.Round(lo*math.Pow(hi/lo, s.rng.Float64()))) * 60
	h = min(max(h, int64(s.cfg.LeaseMin/time.Second)), int64(s.cfg.LeaseMax/time.Second))
	var best *ledger.Device
	for _, id := range s.book.DeviceIDs() {
		d := s.book.Devices[id]
		if d.Lease != 0 || d.Failed || d.End-s.now < h {
			continue
		}
		if best == nil || d.End > best.End || (d.End == best.End && d.ID > best.ID) {
			best = d
		}
	}
	if best == nil {
		s.totals.refusedNoDevice++
		s.refused++
		return nil
	}
	l, paid, err := s.book.BuyLease(best.ID, h)
	if errors.Is(err, ledger.ErrPoolTooShallow) {
		s.totals.shallow++
		s.refused++
		return nil
	} else if err != nil {
		return fmt.Errorf("buy %ds on device %d: %w", h, best.ID, err)
	}
	s.leases = append(s.leases, l.ID)
	s.totals.leases++
	s.purchases++
	s.totals.clientPaid.Add(s.totals.clientPaid, paid)
	s.totals.boughtSecs += h
	if s.rng.Float64() < s.cfg.Terminate {
		s.schedule(s.now+1+int64(s.rng.Float64()*float64(h-2)), evTerminate, -1, 0, l.ID)
	}
	return nil
}

// ChallengeDeadline is x/pocps' default challenge_deadline: a failure is
// confirmed this long after the challenge the device did not answer.
const ChallengeDeadline = 10 * time.Minute

// offline takes m's device offline: its failure is confirmed after the
// next residency challenge's deadline (every ChallengeInterval from the
// commitment's start); it last passed at the challenge before.
func (s *sim) offline(i int) error {
	m := s.miners[i]
	if m.dev == 0 && !m.inGrace {
		return nil
	}
	interval := int64(s.cfg.ChallengeInterval / time.Second)
	start := s.rec(m).Start
	n := (s.now - start) / interval
	m.offline, m.lastPass = s.now, start+n*interval
	s.schedule(start+(n+1)*interval+int64(ChallengeDeadline/time.Second), evConfirm, i, m.gen, 0)
	return nil
}

// confirm fails m's device (x/stake FailDevice → x/pools FailPosition): an
// LP position leaves with its time at most at its entry price, less the
// clawback of the revenue since its last pass; a sale's collateral refunds
// the broken lease's client, pays the LPs the time's value and is burned
// with the deposit (x/stake types.SaleFailure); a sale in its grace loses
// both whole.
func (s *sim) confirm(i int) error {
	m := s.miners[i]
	s.totals.failures++
	if m.dev == 0 { // a sale in its grace
		lost := m.coll.Add(m.dep)
		s.totals.lostCollateral = s.totals.lostCollateral.Add(lost)
		r := s.rec(m)
		r.Lost += lost.Int64()
		r.Failed = true
		m.inGrace = false
		m.gen++
		s.schedule(s.now+s.exp(s.cfg.LPReturn), evStake, i, m.gen, 0)
		return nil
	}
	dev := m.dev
	d := s.book.Devices[dev]
	if d.Lease != 0 {
		s.totals.broken++
		s.totals.returnedSecs += s.book.Leases[d.Lease].End - s.now
	}
	f, err := s.book.Fail(dev, m.lastPass)
	if err != nil {
		return fmt.Errorf("fail device %d: %w", dev, err)
	}
	delete(s.owner, dev)
	r := s.rec(m)
	r.Failed = true
	s.totals.clientRefund.Add(s.totals.clientRefund, f.Client)
	if m.seller {
		toClient, toLPs, burned := staketypes.SaleFailure(m.coll, m.dep, sdkmath.NewIntFromBigInt(f.Collateral), sdkmath.NewIntFromBigInt(f.TimeValue))
		if toLPs.IsPositive() {
			if err := s.book.FundStream(dev, toLPs.BigInt()); err != nil {
				return fmt.Errorf("fund the stream of device %d: %w", dev, err)
			}
		}
		s.totals.clientRefund.Add(s.totals.clientRefund, toClient.BigInt())
		s.totals.lostCollateral = s.totals.lostCollateral.Add(burned)
		r.Lost = m.coll.Add(m.dep).Int64()
	} else {
		r.Payout += f.Miner.Int64()
	}
	s.closeCommitment(m, s.now)
	m.gen++
	s.schedule(s.now+s.exp(s.cfg.LPReturn), evStake, i, m.gen, 0)
	return nil
}

// payRewards credits pot (x/rewards MinerPot) to the records by their
// committed seconds since the epoch began, ⌊pot·seconds/total⌋ each, and
// returns the realized γ (uloop per committed GPU-second; 0 when nothing
// was committed).
func (s *sim) payRewards(pot sdkmath.Int) float64 {
	var recs []int
	for _, m := range s.miners {
		if m.dev != 0 {
			s.secs[m.idx] += s.now - max(m.segStart, s.epochFrom)
			m.segStart = s.now
			recs = append(recs, m.idx)
		}
	}
	recs = append(recs, s.closed...)
	var total int64
	for _, r := range recs {
		total += s.secs[r]
	}
	s.closed = s.closed[:0]
	s.epochFrom = s.now
	if total == 0 || !pot.IsPositive() {
		return 0
	}
	for _, r := range recs {
		credit := pot.MulRaw(s.secs[r]).QuoRaw(total)
		s.res.Stakes[r].Rewards += credit.Int64()
		s.totals.rewardsPaid = s.totals.rewardsPaid.Add(credit)
		s.secs[r] = 0
	}
	return float64(pot.Int64()) / float64(total)
}

// epochEnd pays the epoch's miners' pot, samples the market and lets the
// free sellers sell.
func (s *sim) epochEnd() error {
	gamma := s.payRewards(rewardskeeper.MinerPot(s.cfg.Rewards, s.epoch))
	s.epoch++
	for i, m := range s.miners {
		if m.seller && m.dev == 0 && !m.inGrace && s.rng.Float64() < s.cfg.Epoch.Seconds()/s.cfg.SellEvery.Seconds() {
			if err := s.sell(i); err != nil {
				return err
			}
		}
	}
	s.res.Samples = append(s.res.Samples, s.sample(gamma))
	s.purchases, s.refused = 0, 0
	s.schedule(s.now+s.epochSeconds(), evEpoch, -1, 0, 0)
	return nil
}

func (s *sim) sample(gamma float64) Sample {
	smp := Sample{At: time.Duration(s.now-Start.Unix()) * time.Second, Unsold: float64(s.book.H) / 3600,
		Purchases: s.purchases, Refused: s.refused, Gamma: gamma}
	smp.Reserve, _ = new(big.Float).SetInt(s.book.L).Float64()
	if p := s.book.Price(); p != nil {
		f, _ := p.Float64()
		smp.Spot = f * 3600
	}
	for _, id := range s.book.DeviceIDs() {
		d := s.book.Devices[id]
		if d.Failed {
			continue
		}
		smp.Committed++
		if d.Lease != 0 {
			smp.Leased++
		}
		if d.Sold {
			smp.Sold++
		}
	}
	return smp
}

// valueOpen closes the record of every commitment still running at the end
// of the run: the running epoch's pot is paid pro rata, and an LP position
// is valued at what a failure now would return (ledger Pool.Fail on a copy
// of the pool: its unsold time at most at its entry price, and what it is
// owed, no clawback); a sale keeps what it has (its collateral and deposit
// would come back).
func (s *sim) valueOpen() {
	if s.now > s.epochFrom {
		pot := rewardskeeper.MinerPot(s.cfg.Rewards, s.epoch)
		s.payRewards(pot.MulRaw(s.now - s.epochFrom).QuoRaw(s.epochSeconds()))
	}
	for _, m := range s.miners {
		if m.dev == 0 {
			continue
		}
		r := s.rec(m)
		if !m.seller {
			pool := s.book.Pool.Clone()
			d := s.book.Devices[m.dev].Clone()
			var l *ledger.Lease
			if d.Lease != 0 {
				l = s.book.Leases[d.Lease].Clone()
			}
			if f, err := pool.Fail(d, l, s.now); err == nil {
				r.Payout += f.Miner.Int64()
			}
		}
		r.Open, r.End, r.Seconds = true, s.now, s.now-r.Start
	}
}
