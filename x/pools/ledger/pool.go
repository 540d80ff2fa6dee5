// Package ledger is the device-true accounting of one x/pools pool
// (x/pools/README.md), in pure deterministic Go: integer GPU-seconds, integer
// uloop, and a 10^30-scaled price-time index.
//
// Pool holds a pool's scalars (H, L, Π, the idle-device count, escrow) and
// applies each rule to the Device and Lease records its caller stores, so
// the rules have one implementation: the x/pools keeper drives it from
// collections and time-keyed queues, and Book (book.go) drives it from maps
// as the reference model the property tests run.
//
// The rules: LP stakes (time joins H at the spot price), leases bought at
// the spot price integrated over the time bought, ⌈L·ln(H/(H−h))⌉ (H falls,
// L stays, the price rises; path-independent), extension,
// early termination, lazy dissipation of idle time (price-neutral, paid to
// each idle device through the price-time index Π = ∫P dt, which is also the
// TWAP accumulator), lease ends, settlement at commitment end, renewal,
// failure, and sales: pool-owned time whose income the LP positions share
// by unsold time through the indices J and K, continuously as it accrues
// (Stream; docs/pools.md "Sold-time income").
//
// Rounding is always in the pool's favour: quotes and injections round up,
// payouts and refunds round down, and what dissipation removes from L rounds
// up; the difference between what left L and what positions are owed is
// dust the module keeps.
package ledger

import (
	"errors"
	"fmt"
	"math/big"
)

// Scale is the fixed-point scale of the price-time index Π (uloop per
// GPU-second × 10^30).
var Scale = new(big.Int).Exp(big.NewInt(10), big.NewInt(30), nil)

// Errors returned by the ledger; nothing changes when one is returned.
var (
	ErrUnknownDevice  = errors.New("unknown device")
	ErrDeviceBusy     = errors.New("device is leased")
	ErrDeviceExists   = errors.New("device already in the pool")
	ErrNotCovered     = errors.New("device commitment does not cover the lease")
	ErrPoolTooShallow = errors.New("pool cannot sell that much time")
	ErrBadAmount      = errors.New("invalid amount or duration")
	ErrUnknownLease   = errors.New("unknown lease")
	ErrLeaseEnded     = errors.New("lease already ended")
	ErrTimeBackwards  = errors.New("time cannot go backwards")
)

// Device is a committed device: an LP device's position (its own unsold
// time), or a sold device whose time the pool owns (Sold). It records the
// commitment end, the lease it serves (0 when idle), its index checkpoints
// and what it is owed.
type Device struct {
	ID  uint64
	End int64 // commitment end, unix seconds
	// Sold marks time sold into the pool: its income belongs to the LP
	// positions together (x/pools/README.md, I4), not to the device.
	Sold bool
	// Lease is the lease the device serves, 0 when idle.
	Lease uint64
	// Checkpoint is Π when the device last became idle or was settled.
	Checkpoint *big.Int
	// SharedJ and SharedK are J and K when an LP position last settled its
	// share of the sold time's income.
	SharedJ, SharedK *big.Int
	// Owed is uloop owed to the position and not yet paid (settled index
	// accrual, released lease revenue and its share of sold-time income).
	Owed *big.Int
	// Failed marks a sold device that failed before End: it holds no time
	// (its unsold time left H) and stays only to stream what its failure
	// left to the LP positions — the uloop of its unsold time, a broken
	// lease's unreleased escrow and the seller's penalty — from the failure
	// to End, as its idle time would have paid them (docs/pools.md "Sold-time
	// income"). StreamLeft is what is left to stream as of StreamAt, at
	// StreamRate (uloop × Scale per second, part of Pool.Stream).
	Failed     bool
	StreamRate *big.Int
	StreamLeft *big.Int
	StreamAt   int64
	// Injected is the uloop an LP device's miner put in (stake and
	// renewals) and Start its commitment's start, unix seconds: an LP
	// failure returns the unsold time at no more than that entry price
	// (Fail). A negative Start means unknown (no cap).
	Injected *big.Int
	Start    int64
}

// Lease is a client's exclusive use of one device over [Start, End).
type Lease struct {
	ID, Device uint64
	Start, End int64
	// Price is the escrowed uloop (the quotes paid, fees excluded), released
	// linearly to the device between ReleasedAt and End.
	Price *big.Int
	// Released is what has moved from escrow to the device, up to ReleasedAt.
	Released   *big.Int
	ReleasedAt int64
	Ended      bool
	// Rate is a sold device's lease release rate, uloop × Scale per second
	// from ReleasedAt, ⌊(Price − Released)·Scale/(End − ReleasedAt)⌋: its
	// revenue belongs to the LP positions and reaches them continuously
	// through Pool.Stream (nil or 0 for an LP device's lease, released to
	// the device at its touches).
	Rate *big.Int
}

// Pool is one GPU class's pool: the scalars every rule reads and writes.
type Pool struct {
	// H is unsold GPU-seconds of every committed device; L is uloop held.
	H int64
	L *big.Int
	// Pi is Π, the price-time index, × Scale.
	Pi *big.Int
	// Now is the time the state is accounted up to, unix seconds.
	Now int64
	// Idle counts committed LP devices serving no lease.
	Idle int64
	// HSold is the part of H on sold devices; IdleSold counts idle sold
	// devices. H − HSold is the LP positions' unsold time U_LP.
	HSold    int64
	IdleSold int64
	// J and K index the income of sold time shared by the LP positions
	// (× Scale): J += S·Scale/U_LP(m) and K += ΔJ·2m for income S weighed
	// at time m (shareOver), so a position with unsold time u(t) is owed
	// Σ u(m_k)·ΔJ_k — for an idle one (u = E − t) that is (2E·ΔJ − ΔK)/2,
	// for a leased one u·ΔJ.
	J, K *big.Int
	// Orphaned is sold-time income that found no LP position to share it
	// (U_LP = 0); it stays with the module as dust.
	Orphaned *big.Int
	// Escrow is uloop paid in and not yet released: unreleased lease
	// payments and what failed sold devices have left to stream. Sold
	// time's part runs out through Stream, rounded down (Carry), while each
	// lease and stream books its own part rounded up, so Escrow may keep a
	// uloop of rounding per sold lease and stream: dust in the pool's
	// favour.
	Escrow *big.Int
	// Stream is the rate at which sold time's income reaches the LP
	// positions, uloop × Scale per second: the Rate of every lease on a sold
	// device and the StreamRate of every failed sold device. Carry is the
	// part below one uloop not yet shared.
	Stream, Carry *big.Int
	// SoldEscrow is the part of Escrow that sold time streams (its leases'
	// escrow and the failure streams); when the last stream stops, what
	// rounding left of it has no owner and moves to Orphaned (sweep).
	SoldEscrow *big.Int
	// FeeNum/FeeDen is the exchange fee, burned on every trade.
	FeeNum, FeeDen int64
	// RefPrice prices the first stake in an empty pool, uloop per
	// GPU-second (a rational: reference prices are fractional).
	RefPrice *big.Rat
}

// NewPool returns an empty pool at now with the exchange fee feeNum/feeDen
// and the reference price (uloop per GPU-second) for its first stake.
func NewPool(now int64, feeNum, feeDen int64, refPrice *big.Rat) *Pool {
	return &Pool{L: new(big.Int), Pi: new(big.Int), Now: now, Escrow: new(big.Int), J: new(big.Int), K: new(big.Int),
		Orphaned: new(big.Int), Stream: new(big.Int), Carry: new(big.Int), SoldEscrow: new(big.Int), FeeNum: feeNum, FeeDen: feeDen, RefPrice: new(big.Rat).Set(refPrice)}
}

// Clone returns a deep copy, for quotes that must not change the pool.
func (p *Pool) Clone() *Pool {
	c := *p
	c.L, c.Pi, c.Escrow, c.RefPrice = new(big.Int).Set(p.L), new(big.Int).Set(p.Pi), new(big.Int).Set(p.Escrow), new(big.Rat).Set(p.RefPrice)
	c.J, c.K, c.Orphaned = new(big.Int).Set(p.J), new(big.Int).Set(p.K), new(big.Int).Set(p.Orphaned)
	c.Stream, c.Carry, c.SoldEscrow = new(big.Int).Set(p.Stream), new(big.Int).Set(p.Carry), new(big.Int).Set(p.SoldEscrow)
	return &c
}

// Clone returns a deep copy of d, for valuations that must not change it.
func (d *Device) Clone() *Device {
	c := *d
	c.Checkpoint, c.SharedJ, c.SharedK, c.Owed = cloneInt(d.Checkpoint), cloneInt(d.SharedJ), cloneInt(d.SharedK), cloneInt(d.Owed)
	c.StreamRate, c.StreamLeft, c.Injected = cloneInt(d.StreamRate), cloneInt(d.StreamLeft), cloneInt(d.Injected)
	return &c
}

// Clone returns a deep copy of l.
func (l *Lease) Clone() *Lease {
	c := *l
	c.Price, c.Released, c.Rate = cloneInt(l.Price), cloneInt(l.Released), cloneInt(l.Rate)
	return &c
}

func cloneInt(v *big.Int) *big.Int {
	if v == nil {
		return nil
	}
	return new(big.Int).Set(v)
}

func ceilDiv(a, b *big.Int) *big.Int {
	q, r := new(big.Int).QuoRem(a, b, new(big.Int))
	if r.Sign() > 0 {
		q.Add(q, big.NewInt(1))
	}
	return q
}

// TWAP returns the time-weighted average price between two readings of Π
// (cumulative, × Scale) taken dt seconds apart, rounded down, in uloop per
// GPU-second × Scale.
func TWAP(piStart, piEnd *big.Int, dt int64) (*big.Int, error) {
	if dt <= 0 {
		return nil, fmt.Errorf("%w: TWAP window must be positive", ErrBadAmount)
	}
	d := new(big.Int).Sub(piEnd, piStart)
	return d.Quo(d, big.NewInt(dt)), nil
}

// Price returns the spot price L/H in uloop per GPU-second (nil when H = 0).
func (p *Pool) Price() *big.Rat {
	if p.H == 0 {
		return nil
	}
	return new(big.Rat).SetFrac(p.L, big.NewInt(p.H))
}

// Dissipate accounts [Now, t) in which no lease, commitment or stream ends
// (the caller processes those first, in time order): every idle device
// loses t − Now of unsold time, and ⌈L·D/H⌉ uloop leaves L with it (D = idle
// devices × (t − Now)); Π grows by ⌊L·(t−Now)·Scale/H⌋ whether or not a
// device idles. Idle LP devices claim their part through Π. Sold time's
// income over the interval — the part of idle sold devices, ⌊L·D_sold/H⌋,
// and Stream·(t − Now) of released lease escrow and failure streams — is
// shared by the LP positions over the interval (shareOver), so a position
// earns it only for the time it held unsold time (docs/pools.md "Sold-time
// income"). It returns the uloop removed from L.
func (p *Pool) Dissipate(t int64) (*big.Int, error) {
	out := new(big.Int)
	dt := t - p.Now
	if dt < 0 {
		return nil, fmt.Errorf("%w: %d < %d", ErrTimeBackwards, t, p.Now)
	}
	shared := new(big.Int)
	if dt > 0 && p.H > 0 {
		h := big.NewInt(p.H)
		inc := new(big.Int).Mul(p.L, big.NewInt(dt))
		inc.Mul(inc, Scale).Quo(inc, h)
		p.Pi.Add(p.Pi, inc)
		if idle := p.Idle + p.IdleSold; idle > 0 {
			d, dSold := idle*dt, p.IdleSold*dt
			out = ceilDiv(new(big.Int).Mul(p.L, big.NewInt(d)), h)
			if out.Cmp(p.L) > 0 {
				out.Set(p.L)
			}
			shared.Mul(p.L, big.NewInt(dSold)).Quo(shared, h)
			p.L.Sub(p.L, out)
			p.H -= d
			p.HSold -= dSold
		}
	}
	if dt > 0 && p.Stream.Sign() > 0 {
		// Released escrow and failure streams, rounded down with the
		// remainder carried: what leaves Escrow never exceeds what the
		// leases and streams book (rounded up).
		s := new(big.Int).Mul(p.Stream, big.NewInt(dt))
		s.Add(s, p.Carry)
		s.QuoRem(s, Scale, p.Carry)
		if s.Cmp(p.SoldEscrow) > 0 {
			s.Set(p.SoldEscrow)
		}
		p.Escrow.Sub(p.Escrow, s)
		p.SoldEscrow.Sub(p.SoldEscrow, s)
		shared.Add(shared, s)
	}
	t0 := p.Now
	p.Now = t
	p.shareOver(shared, t0, t)
	return out, nil
}

// share spreads income s of sold time, arrived at Now, over the LP
// positions' unsold time at Now (orphaned when there is none).
func (p *Pool) share(s *big.Int) { p.shareOver(s, p.Now, p.Now) }

// shareOver spreads income s earned over [t0, t1] (t1 = Now, nothing ended
// inside) by the LP positions' unsold time at the interval's midpoint:
// U_mid = U(t1) + Idle·(t1−t0)/2, and position p's weight u_p(mid) — exact
// for income at an instant, second-order for income spread over an
// interval (at most an epoch), and always Σ_p u_p(mid) = U_mid, so the
// shares never exceed s. With t doubled to stay in integers:
// J += ⌊2·s·Scale / (2·U(t1) + Idle·(t1−t0))⌋, K += ΔJ·(t0+t1).
func (p *Pool) shareOver(s *big.Int, t0, t1 int64) {
	if s.Sign() <= 0 {
		return
	}
	u2 := 2*(p.H-p.HSold) + p.Idle*(t1-t0)
	if u2 <= 0 {
		p.Orphaned.Add(p.Orphaned, s)
		return
	}
	dj := new(big.Int).Mul(s, Scale)
	dj.Lsh(dj, 1).Quo(dj, big.NewInt(u2))
	p.J.Add(p.J, dj)
	p.K.Add(p.K, dj.Mul(dj, big.NewInt(t0+t1)))
}

// sharedAccrued is LP device d's share of sold-time income since its
// checkpoint, rounded down; l is the lease it serves (nil when idle).
func (p *Pool) sharedAccrued(d *Device, l *Lease) *big.Int {
	if d.Sold {
		return new(big.Int)
	}
	dj := new(big.Int).Sub(p.J, d.SharedJ)
	var acc *big.Int
	if l != nil && d.Lease != 0 {
		acc = dj.Mul(dj, big.NewInt(d.End-l.End))
	} else {
		dk := new(big.Int).Sub(p.K, d.SharedK)
		acc = dj.Mul(dj, big.NewInt(2*d.End))
		acc.Sub(acc, dk)
		acc.Rsh(acc, 1)
	}
	if acc.Sign() <= 0 {
		return new(big.Int)
	}
	return acc.Quo(acc, Scale)
}

// settleShared books d's share of sold-time income and checkpoints J, K;
// call it before d's unsold-time form (idle, leased, its end) changes.
func (p *Pool) settleShared(d *Device, l *Lease) {
	d.Owed.Add(d.Owed, p.sharedAccrued(d, l))
	d.SharedJ, d.SharedK = new(big.Int).Set(p.J), new(big.Int).Set(p.K)
}

// Accrued is what LP device d (serving l, nil when idle) has earned and
// not yet booked into Owed: its idle time through Π and its share of
// sold-time income, uloop rounded down.
func (p *Pool) Accrued(d *Device, l *Lease) *big.Int {
	acc := p.sharedAccrued(d, l)
	if d.Lease != 0 || d.Sold {
		return acc
	}
	pi := new(big.Int).Sub(p.Pi, d.Checkpoint)
	return acc.Add(acc, pi.Quo(pi, Scale))
}

// settleIdle books an idle device's accruals since its checkpoints.
func (p *Pool) settleIdle(d *Device) {
	d.Owed.Add(d.Owed, p.Accrued(d, nil))
	d.Checkpoint = new(big.Int).Set(p.Pi)
	d.SharedJ, d.SharedK = new(big.Int).Set(p.J), new(big.Int).Set(p.K)
}

// setIdle makes d idle from Now (checkpoints reset, counted as idle).
func (p *Pool) setIdle(d *Device) {
	d.Lease = 0
	d.Checkpoint = new(big.Int).Set(p.Pi)
	d.SharedJ, d.SharedK = new(big.Int).Set(p.J), new(big.Int).Set(p.K)
	if d.Sold {
		p.IdleSold++
	} else {
		p.Idle++
	}
}

// unsetIdle takes idle d out of the idle count.
func (p *Pool) unsetIdle(d *Device) {
	if d.Sold {
		p.IdleSold--
	} else {
		p.Idle--
	}
}

// takeH removes h of d's unsold time from H.
func (p *Pool) takeH(d *Device, h int64) {
	p.H -= h
	if d.Sold {
		p.HSold -= h
	}
}

// release books the escrow of l released up to min(Now, End). An LP
// device's lease runs out linearly from ReleasedAt to End, rounded down, to
// the device. A sold device's lease has already reached the LP positions
// through Stream: its own record books ⌈Rate·Δt/Scale⌉ (never more than
// is left), so the lease's unreleased part never counts what Stream paid.
func (p *Pool) release(d *Device, l *Lease) {
	until := min(p.Now, l.End)
	if until <= l.ReleasedAt {
		return
	}
	left := new(big.Int).Sub(l.Price, l.Released)
	if d.Sold {
		delta := streamed(l.Rate, until-l.ReleasedAt)
		if delta.Cmp(left) > 0 {
			delta.Set(left)
		}
		l.Released.Add(l.Released, delta)
		l.ReleasedAt = until
		return
	}
	delta := new(big.Int).Mul(left, big.NewInt(until-l.ReleasedAt))
	delta.Quo(delta, big.NewInt(l.End-l.ReleasedAt))
	l.Released.Add(l.Released, delta)
	l.ReleasedAt = until
	p.Escrow.Sub(p.Escrow, delta)
	d.Owed.Add(d.Owed, delta)
}

// streamed is what a stream at rate (uloop × Scale per second) books over
// dt seconds: ⌈rate·dt/Scale⌉.
func streamed(rate *big.Int, dt int64) *big.Int {
	if rate == nil || rate.Sign() == 0 || dt <= 0 {
		return new(big.Int)
	}
	return ceilDiv(new(big.Int).Mul(rate, big.NewInt(dt)), Scale)
}

// streamRate is ⌊amount·Scale/dt⌋: the rate that runs amount out over dt
// seconds without exceeding it.
func streamRate(amount *big.Int, dt int64) *big.Int {
	if dt <= 0 || amount.Sign() <= 0 {
		return new(big.Int)
	}
	r := new(big.Int).Mul(amount, Scale)
	return r.Quo(r, big.NewInt(dt))
}

// rateLease (re)starts sold lease l's stream from Now over what is left of
// it; call after release.
func (p *Pool) rateLease(l *Lease) {
	l.Rate = p.restream(l.Rate, new(big.Int).Sub(l.Price, l.Released), l.End-p.Now)
}

// restream replaces a stream's rate old (nil: none) by the rate that runs
// left out over dt seconds from Now (0 for dt ≤ 0: the stream stops),
// keeping Stream the sum of the rates; it returns the new rate.
func (p *Pool) restream(old, left *big.Int, dt int64) *big.Int {
	if old != nil {
		p.Stream.Sub(p.Stream, old)
	}
	r := streamRate(left, dt)
	p.Stream.Add(p.Stream, r)
	return r
}

// addEscrow books amount (negative: takes it) into Escrow, and into its
// sold part for a sold device d.
func (p *Pool) addEscrow(d *Device, amount *big.Int) {
	p.Escrow.Add(p.Escrow, amount)
	if d.Sold {
		p.SoldEscrow.Add(p.SoldEscrow, amount)
	}
}

// orphanSold moves left, what rounding left of a sold lease or a failure
// stream when it ended, from escrow to Orphaned (no owner to weigh it
// for), then sweeps.
func (p *Pool) orphanSold(left *big.Int) {
	p.Escrow.Sub(p.Escrow, left)
	p.SoldEscrow.Sub(p.SoldEscrow, left)
	p.Orphaned.Add(p.Orphaned, left)
	p.sweep()
}

// sweep moves what rounding left of sold time's escrow to Orphaned once
// nothing streams any more (no sold lease or failure stream runs), so
// Escrow is zero again when nothing is escrowed.
func (p *Pool) sweep() {
	if p.Stream.Sign() != 0 || p.SoldEscrow.Sign() <= 0 {
		return
	}
	p.Escrow.Sub(p.Escrow, p.SoldEscrow)
	p.Orphaned.Add(p.Orphaned, p.SoldEscrow)
	p.SoldEscrow = new(big.Int)
	p.Carry = new(big.Int)
}

// unrateLease stops sold lease l's stream.
func (p *Pool) unrateLease(l *Lease) { l.Rate = p.restream(l.Rate, new(big.Int), 0) }

// StakeLP commits device d (ID set, End its commitment end) to the pool at
// Now: its time h = End − Now joins H and the miner injects ⌈h·L/H⌉ uloop
// (h·RefPrice into an empty pool), so the price does not move. It returns
// the injection and fills d's checkpoint.
func (p *Pool) StakeLP(d *Device) (*big.Int, error) {
	h := d.End - p.Now
	if h <= 0 {
		return nil, fmt.Errorf("%w: commitment must end after now", ErrBadAmount)
	}
	inject := p.atSpot(h)
	p.H += h
	p.L.Add(p.L, inject)
	d.Sold = false
	d.Owed = new(big.Int)
	d.Injected, d.Start = new(big.Int).Set(inject), p.Now
	p.setIdle(d)
	return inject, nil
}

// QuoteSell returns what selling h GPU-seconds into the pool pays: the
// constant-product quote ⌊L·h/(H+h)⌋ and the fee ⌈out·fee⌉ burned from it,
// without changing anything. Errors: ErrBadAmount, ErrPoolTooShallow when
// no LP position holds time (nobody would own the sold time).
func (p *Pool) QuoteSell(h int64) (out, fee *big.Int, err error) {
	if h <= 0 {
		return nil, nil, fmt.Errorf("%w: duration must be positive", ErrBadAmount)
	}
	if p.H-p.HSold <= 0 {
		return nil, nil, fmt.Errorf("%w: no LP position to buy the time", ErrPoolTooShallow)
	}
	out = new(big.Int).Mul(p.L, big.NewInt(h))
	out.Quo(out, big.NewInt(p.H+h))
	fee = p.fee(out)
	if fee.Cmp(out) > 0 {
		fee.Set(out)
	}
	return out, fee, nil
}

// Sell sells the time of device d (End set) from Now into the pool
// (x/pools/README.md "Sale"): h = End − Now joins H as pool-owned time, the
// seller receives the quote less the fee (burned), L falls, so the price
// falls. It returns the quote and the fee.
func (p *Pool) Sell(d *Device) (out, fee *big.Int, err error) {
	h := d.End - p.Now
	out, fee, err = p.QuoteSell(h)
	if err != nil {
		return nil, nil, err
	}
	p.H += h
	p.HSold += h
	p.L.Sub(p.L, out)
	d.Sold = true
	d.Owed = new(big.Int)
	p.setIdle(d)
	return out, fee, nil
}

// atSpot is the uloop that h GPU-seconds add to L without moving the price:
// ⌈h·L/H⌉, or ⌈h·RefPrice⌉ when the pool holds no unsold time (an empty
// pool, or one whose time is all leased).
func (p *Pool) atSpot(h int64) *big.Int {
	if p.H == 0 {
		return ceilDiv(new(big.Int).Mul(big.NewInt(h), p.RefPrice.Num()), p.RefPrice.Denom())
	}
	return ceilDiv(new(big.Int).Mul(big.NewInt(h), p.L), big.NewInt(p.H))
}

// fee returns ⌈amount · fee⌉.
func (p *Pool) fee(amount *big.Int) *big.Int {
	return ceilDiv(new(big.Int).Mul(amount, big.NewInt(p.FeeNum)), big.NewInt(p.FeeDen))
}

// QuoteBuy returns the price X = ⌈L·ln(H/(H−h))⌉ of h GPU-seconds and the
// fee ⌈X·fee⌉ on it, without changing anything. A purchase leaves L in
// place (the payment is escrowed) and takes h from H, so the spot price L/x
// rises as x falls from H to H − h; X is its integral, ∫ L/x dx, which
// makes the cost path-independent: a lease and its extensions bought at
// one time cost what one purchase of their sum costs, never less and at
// most a uloop more per piece (docs/pools.md "Price rule"). The logarithm
// is an upper bound (LnRatioUp), so X rounds up. Errors: ErrBadAmount,
// ErrPoolTooShallow when h is not below H.
func (p *Pool) QuoteBuy(h int64) (price, fee *big.Int, err error) {
	if h <= 0 {
		return nil, nil, fmt.Errorf("%w: duration must be positive", ErrBadAmount)
	}
	if h >= p.H {
		return nil, nil, fmt.Errorf("%w: %d of %d unsold GPU-seconds", ErrPoolTooShallow, h, p.H)
	}
	price = ceilDiv(new(big.Int).Mul(p.L, LnRatioUp(p.H, p.H-h)), Scale)
	return price, p.fee(price), nil
}

// BuyLease sells h GPU-seconds of idle device d from Now as lease l (ID
// set by the caller): the client pays X plus the fee (burned), X is
// escrowed for the device, H drops by h and L stays, so the price rises. It
// returns X and the fee.
func (p *Pool) BuyLease(d *Device, l *Lease, h int64) (price, fee *big.Int, err error) {
	if d.Failed {
		return nil, nil, ErrUnknownDevice
	}
	if d.Lease != 0 {
		return nil, nil, ErrDeviceBusy
	}
	if p.Now+h > d.End {
		return nil, nil, fmt.Errorf("%w: commitment ends at %d", ErrNotCovered, d.End)
	}
	price, fee, err = p.QuoteBuy(h)
	if err != nil {
		return nil, nil, err
	}
	p.settleIdle(d)
	p.unsetIdle(d)
	*l = Lease{ID: l.ID, Device: d.ID, Start: p.Now, End: p.Now + h, Price: new(big.Int).Set(price),
		Released: new(big.Int), ReleasedAt: p.Now}
	d.Lease = l.ID
	p.takeH(d, h)
	p.addEscrow(d, price)
	if d.Sold {
		p.rateLease(l)
	}
	return price, fee, nil
}

// ExtendLease buys h more GPU-seconds of the device d that serves lease l,
// at QuoteBuy's price, when d's commitment covers the new end.
// The extension joins the escrow, released to the new end. It returns X
// and the fee.
func (p *Pool) ExtendLease(d *Device, l *Lease, h int64) (price, fee *big.Int, err error) {
	if l.Ended || p.Now >= l.End {
		return nil, nil, ErrLeaseEnded
	}
	if l.End+h > d.End {
		return nil, nil, fmt.Errorf("%w: commitment ends at %d", ErrNotCovered, d.End)
	}
	price, fee, err = p.QuoteBuy(h)
	if err != nil {
		return nil, nil, err
	}
	p.release(d, l)
	p.settleShared(d, l)
	l.Price.Add(l.Price, price)
	l.End += h
	p.takeH(d, h)
	p.addEscrow(d, price)
	if d.Sold {
		p.rateLease(l)
	}
	return price, fee, nil
}

// QuoteTerminate returns what terminating lease l of device d at Now would
// refund and burn, without changing anything.
func (p *Pool) QuoteTerminate(d *Device, l *Lease) (refund, fee *big.Int, err error) {
	refund, fee, _, err = p.quoteTerminate(d, l)
	return refund, fee, err
}

// quoteTerminate also returns what stays in L: the part of the unreleased
// escrow above what the returned time r is worth on the curve now,
// ⌊L·ln((H+r)/H)⌋ (rounded down) — the price buying it back at once would
// pay.
func (p *Pool) quoteTerminate(d *Device, l *Lease) (refund, fee, retained *big.Int, err error) {
	if l.Ended || p.Now >= l.End {
		return nil, nil, nil, ErrLeaseEnded
	}
	scratch := &Device{Sold: d.Sold, Owed: new(big.Int)}
	c := *l
	c.Released = new(big.Int).Set(l.Released)
	q := p.Clone()
	q.release(scratch, &c)
	unreleased := new(big.Int).Sub(c.Price, c.Released)
	gross := new(big.Int).Set(unreleased)
	if r := l.End - p.Now; p.H > 0 {
		ln := LnRatioUp(p.H+r, p.H)
		if ln.Cmp(big.NewInt(2)) > 0 {
			ln.Sub(ln, big.NewInt(2)) // a lower bound of ln·Scale
		} else {
			ln.SetInt64(0)
		}
		worth := new(big.Int).Mul(p.L, ln)
		worth.Quo(worth, Scale)
		if worth.Cmp(gross) < 0 {
			gross.Set(worth)
		}
	}
	retained = new(big.Int).Sub(unreleased, gross)
	fee = q.fee(gross)
	if fee.Cmp(gross) > 0 {
		fee.Set(gross)
	}
	return gross.Sub(gross, fee), fee, retained, nil
}

// Terminate ends lease l of device d early at Now: the unused time returns
// to the device and to H (the price falls), the device owns the released
// escrow, and the client gets the unreleased escrow — at most what the
// returned time is worth on the curve now — minus the fee (burned); what
// the curve does not pay stays in L. It returns the refund and the fee.
func (p *Pool) Terminate(d *Device, l *Lease) (refund, fee *big.Int, err error) {
	refund, fee, retained, err := p.quoteTerminate(d, l)
	if err != nil {
		return nil, nil, err
	}
	p.release(d, l)
	p.settleShared(d, l)
	if d.Sold {
		p.unrateLease(l)
	}
	out := new(big.Int).Add(refund, fee)
	out.Add(out, retained)
	p.addEscrow(d, out.Neg(out))
	p.L.Add(p.L, retained)
	if d.Sold {
		p.sweep()
	}
	p.H += l.End - p.Now
	if d.Sold {
		p.HSold += l.End - p.Now
	}
	l.End, l.Ended = p.Now, true
	p.setIdle(d)
	return refund, fee, nil
}

// EndLease ends lease l of device d at its end (Now must be l.End; the
// caller has dissipated up to it): the rest of the escrow goes to the
// device, which becomes idle.
func (p *Pool) EndLease(d *Device, l *Lease) error {
	if l.Ended {
		return ErrLeaseEnded
	}
	if p.Now != l.End {
		return fmt.Errorf("%w: lease ends at %d, pool is at %d", ErrBadAmount, l.End, p.Now)
	}
	p.release(d, l)
	p.settleShared(d, l)
	if d.Sold {
		// Stream booked the lease rounded down; what is left (under a
		// uloop) has no owner to weigh it for and stays as dust.
		p.unrateLease(l)
		p.orphanSold(new(big.Int).Sub(l.Price, l.Released))
		l.Released.Set(l.Price)
	}
	l.Ended = true
	p.setIdle(d)
	return nil
}

// EndCommitment settles idle device d at its commitment end (Now must be
// d.End; its unsold time is zero): nothing leaves H or L, the price does not
// move, and it returns what the position is owed, which the caller pays.
func (p *Pool) EndCommitment(d *Device) (*big.Int, error) {
	if d.Lease != 0 {
		return nil, ErrDeviceBusy
	}
	if p.Now != d.End {
		return nil, fmt.Errorf("%w: commitment ends at %d, pool is at %d", ErrBadAmount, d.End, p.Now)
	}
	if d.Failed {
		// A failed sold device's stream ends: what rounding left of it
		// stays as dust.
		left := p.settleStream(d)
		d.StreamRate, d.StreamLeft = p.restream(d.StreamRate, new(big.Int), 0), new(big.Int)
		p.orphanSold(left)
		return new(big.Int), nil
	}
	p.settleIdle(d)
	p.unsetIdle(d)
	owed := d.Owed
	d.Owed = new(big.Int)
	return owed, nil
}

// Unsold is device d's unsold time at Now: End − Now when idle, End − the
// lease's end when it serves lease l.
func (p *Pool) Unsold(d *Device, l *Lease) int64 {
	if d.Failed {
		return 0
	}
	if d.Lease != 0 && l != nil {
		return d.End - l.End
	}
	return d.End - p.Now
}

// Renew extends LP device d's commitment (serving l, nil when idle) to
// newEnd (whitepaper §4.2.2): the added time joins H and the miner injects
// ⌈Δ·L/H⌉ uloop at the spot price, so the price does not move. It returns
// the injection.
func (p *Pool) Renew(d *Device, l *Lease, newEnd int64) (*big.Int, error) {
	added := newEnd - d.End
	if added <= 0 {
		return nil, fmt.Errorf("%w: the new end must be after the current end %d", ErrBadAmount, d.End)
	}
	if d.Sold {
		return nil, fmt.Errorf("%w: sold time is not renewed", ErrBadAmount)
	}
	p.settleShared(d, l)
	inject := p.atSpot(added)
	p.H += added
	p.L.Add(p.L, inject)
	d.End = newEnd
	if d.Injected != nil {
		d.Injected.Add(d.Injected, inject)
	}
	return inject, nil
}

// Failure is what Fail moved, uloop.
type Failure struct {
	// Miner is what the LP device's owner gets: the uloop of its unsold time
	// and what the position is owed, less Clawback (0 for a sold device).
	Miner *big.Int
	// Client is what the pool refunds the broken lease's client: the
	// unreleased escrow and Clawback (LP device; 0 for a sold device).
	Client *big.Int
	// Clawback is the part of Client taken back from the lease revenue
	// released to the LP device since its last passed challenge.
	Clawback *big.Int
	// Collateral is the refund a sold device's client is owed by the
	// seller's collateral (x/stake), not the pool's money.
	Collateral *big.Int
	// TimeValue is ⌊L·u/H⌋, the uloop of the device's unsold time u that
	// left L with it: the miner's (LP device) or the LP positions' (sold).
	TimeValue *big.Int
	// Streamed is what a sold device's failure left to the LP positions
	// (its TimeValue and a broken lease's unreleased escrow), streamed to
	// them from now to the device's commitment end (Device.Failed).
	Streamed *big.Int
	// Retained is the part of an LP device's TimeValue above its entry
	// price (Injected·u/(End − Start)): it stays in L for the positions
	// that remain, so a position cannot take the rise a trade gave its
	// unsold time and leave with it at once.
	Retained *big.Int
}

// Clawback is what failing LP device d at Now takes back from lease l's
// released revenue when the device last proved itself at since (unix
// seconds): the revenue released over [max(since, l.Start), Now], taken as
// l.Released × (Now − max(since, l.Start)) / (Now − l.Start) rounded down
// (release is linear), and never more than d.Owed. Call it after l's escrow
// is released up to Now; it changes nothing.
func (p *Pool) Clawback(d *Device, l *Lease, since int64) *big.Int {
	from := max(since, l.Start)
	if d.Sold || p.Now <= from || p.Now <= l.Start {
		return new(big.Int)
	}
	c := new(big.Int).Mul(l.Released, big.NewInt(p.Now-from))
	c.Quo(c, big.NewInt(p.Now-l.Start))
	if c.Cmp(d.Owed) > 0 {
		c.Set(d.Owed)
	}
	return c
}

// Fail removes failed device d, serving lease l or idle with l nil
// (x/pools/README.md, x/stake/README.md), at Now; since is when the device
// last passed a challenge (unix seconds). Its unsold time u leaves H with
// ⌊L·u/H⌋ of L (price-neutral up to rounding) and a lease it serves is
// broken.
//
// LP device: the client is refunded the unreleased escrow from the escrow
// (no fee: not the client's doing) and the Clawback of the revenue released
// to the device since since; the miner gets the uloop of its unsold time —
// at most at its entry price, Injected·u/(End − Start), the rest Retained in
// L — and what the position is owed, less the clawback.
//
// Sold device: the time and the unreleased escrow belonged to the LP
// positions, so both go to them — streamed from Now to d.End (d stays,
// Failed, until then; Failure.Streamed), as d's idle time would have paid
// them, so only positions present over that time share it; the client's
// refund for its unused time is owed by the seller's collateral (x/stake),
// and nothing is clawed back (the released revenue went to the LP
// positions, not to the seller). Errors: ErrUnknownDevice when d already
// failed, ErrUnknownLease when l is not d's lease.
func (p *Pool) Fail(d *Device, l *Lease, since int64) (Failure, error) {
	if d.Failed {
		return Failure{}, ErrUnknownDevice
	}
	if (d.Lease != 0) != (l != nil) {
		return Failure{}, fmt.Errorf("%w: device %d lease %d", ErrUnknownLease, d.ID, d.Lease)
	}
	u := p.Unsold(d, l) // a broken lease's time was sold and never returns
	f := Failure{Miner: new(big.Int), Client: new(big.Int), Clawback: new(big.Int), Collateral: new(big.Int),
		TimeValue: new(big.Int), Streamed: new(big.Int), Retained: new(big.Int)}
	if l != nil {
		p.release(d, l)
		p.settleShared(d, l)
		unreleased := new(big.Int).Sub(l.Price, l.Released)
		if d.Sold {
			// The unreleased escrow stays in Escrow, now the device's
			// stream's; the client's refund is the collateral's.
			p.unrateLease(l)
			f.Streamed.Add(f.Streamed, unreleased)
			f.Collateral.Set(unreleased)
		} else {
			p.Escrow.Sub(p.Escrow, unreleased)
			f.Clawback = p.Clawback(d, l, since)
			d.Owed.Sub(d.Owed, f.Clawback)
			f.Client = unreleased.Add(unreleased, f.Clawback)
		}
		l.End, l.Ended = p.Now, true
		d.Lease = 0
	} else {
		p.settleIdle(d)
		p.unsetIdle(d)
	}
	if p.H > 0 && u > 0 {
		f.TimeValue.Mul(p.L, big.NewInt(u)).Quo(f.TimeValue, big.NewInt(p.H))
	}
	if !d.Sold && d.Injected != nil && d.Start >= 0 && d.End > d.Start {
		// At most the entry price: a trade that raised the price while the
		// position held its time pays the position only as it stays (its
		// idle time through Π), never in one exit.
		entry := new(big.Int).Mul(d.Injected, big.NewInt(u))
		entry.Quo(entry, big.NewInt(d.End-d.Start))
		if entry.Cmp(f.TimeValue) < 0 {
			f.Retained.Sub(f.TimeValue, entry)
		}
	}
	p.takeH(d, u)
	p.L.Sub(p.L, f.TimeValue)
	if d.Sold {
		p.addEscrow(d, f.TimeValue)
		f.Streamed.Add(f.Streamed, f.TimeValue)
		p.openStream(d, f.Streamed)
		p.sweep()
	} else {
		p.L.Add(p.L, f.Retained)
		f.Miner.Add(f.TimeValue, d.Owed)
		f.Miner.Sub(f.Miner, f.Retained)
	}
	d.Owed = new(big.Int)
	return f, nil
}

// openStream marks sold device d failed and streams amount (already in
// Escrow) to the LP positions from Now to d.End, as d's idle time would
// have paid them; at or after d.End it is shared at once.
func (p *Pool) openStream(d *Device, amount *big.Int) {
	d.Failed, d.StreamAt = true, p.Now
	d.StreamLeft, d.StreamRate = new(big.Int).Set(amount), new(big.Int)
	if d.End <= p.Now {
		p.addEscrow(d, new(big.Int).Neg(amount))
		p.share(amount)
		d.StreamLeft = new(big.Int)
		return
	}
	d.StreamRate = p.restream(nil, amount, d.End-p.Now)
}

// settleStream books what failed device d has streamed up to Now and
// returns what is left of it.
func (p *Pool) settleStream(d *Device) *big.Int {
	booked := streamed(d.StreamRate, min(p.Now, d.End)-d.StreamAt)
	if booked.Cmp(d.StreamLeft) > 0 {
		booked.Set(d.StreamLeft)
	}
	d.StreamLeft = new(big.Int).Sub(d.StreamLeft, booked)
	d.StreamAt = min(p.Now, d.End)
	return new(big.Int).Set(d.StreamLeft)
}

// FundStream adds amount uloop, paid into the pool by the caller (x/stake:
// the failed seller's penalty), to failed sold device d's stream, which
// runs on to d.End at the new rate. Errors: ErrUnknownDevice when d is not
// a failed sold device, ErrBadAmount when the stream has ended or amount
// is negative.
func (p *Pool) FundStream(d *Device, amount *big.Int) error {
	if !d.Failed {
		return fmt.Errorf("%w: device %d has no failure stream", ErrUnknownDevice, d.ID)
	}
	if amount.Sign() < 0 || p.Now >= d.End {
		return fmt.Errorf("%w: stream of device %d ends at %d", ErrBadAmount, d.ID, d.End)
	}
	left := p.settleStream(d)
	d.StreamLeft = left.Add(left, amount)
	p.addEscrow(d, amount)
	d.StreamRate = p.restream(d.StreamRate, d.StreamLeft, d.End-p.Now)
	return nil
}
