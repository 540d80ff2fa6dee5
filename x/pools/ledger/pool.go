// Package ledger is the device-true accounting of one x/pools pool
// (PROTOCOL.md §2), in pure deterministic Go: integer GPU-seconds, integer
// uloop, and a 10^30-scaled price-time index.
//
// Pool holds a pool's scalars (H, L, Π, the idle-device count, escrow) and
// applies each rule to the Device and Lease records its caller stores, so
// the rules have one implementation: the x/pools keeper drives it from
// collections and time-keyed queues, and Book (book.go) drives it from maps
// as the reference model the property tests run.
//
// The rules: LP stakes (time joins H at the spot price), leases bought at
// the constant-product quote (H falls, L stays, the price rises), extension,
// early termination, lazy dissipation of idle time (price-neutral, paid to
// each idle device through the price-time index Π = ∫P dt, which is also the
// TWAP accumulator), lease ends, settlement at commitment end, renewal and
// failure. Sales (pool-owned time) are not yet implemented (docs/pools.md).
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

// Device is an LP device's position: its commitment end, the lease it is
// serving (0 when idle), its index checkpoint and what it is owed.
type Device struct {
	ID  uint64
	End int64 // commitment end, unix seconds
	// Lease is the lease the device serves, 0 when idle.
	Lease uint64
	// Checkpoint is Π when the device last became idle or was settled.
	Checkpoint *big.Int
	// Owed is uloop owed to the position and not yet paid (settled index
	// accrual and released lease revenue).
	Owed *big.Int
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
	// Idle counts committed devices serving no lease.
	Idle int64
	// Escrow is unreleased lease payments, uloop.
	Escrow *big.Int
	// FeeNum/FeeDen is the exchange fee, burned on every trade.
	FeeNum, FeeDen int64
	// RefPrice prices the first stake in an empty pool, uloop per
	// GPU-second (a rational: reference prices are fractional).
	RefPrice *big.Rat
}

// NewPool returns an empty pool at now with the exchange fee feeNum/feeDen
// and the reference price (uloop per GPU-second) for its first stake.
func NewPool(now int64, feeNum, feeDen int64, refPrice *big.Rat) *Pool {
	return &Pool{L: new(big.Int), Pi: new(big.Int), Now: now, Escrow: new(big.Int),
		FeeNum: feeNum, FeeDen: feeDen, RefPrice: new(big.Rat).Set(refPrice)}
}

// Clone returns a deep copy, for quotes that must not change the pool.
func (p *Pool) Clone() *Pool {
	c := *p
	c.L, c.Pi, c.Escrow, c.RefPrice = new(big.Int).Set(p.L), new(big.Int).Set(p.Pi), new(big.Int).Set(p.Escrow), new(big.Rat).Set(p.RefPrice)
	return &c
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

// Dissipate accounts [Now, t) in which no lease or commitment ends (the
// caller processes those first, in time order): every idle device loses
// t − Now of unsold time, and ⌈L·D/H⌉ uloop leaves L for the positions
// (D = Idle·(t − Now)); Π grows by ⌊L·(t−Now)·Scale/H⌋ whether or not a
// device idles. It returns the uloop removed from L.
func (p *Pool) Dissipate(t int64) (*big.Int, error) {
	out := new(big.Int)
	dt := t - p.Now
	if dt < 0 {
		return nil, fmt.Errorf("%w: %d < %d", ErrTimeBackwards, t, p.Now)
	}
	if dt > 0 && p.H > 0 {
		h := big.NewInt(p.H)
		inc := new(big.Int).Mul(p.L, big.NewInt(dt))
		inc.Mul(inc, Scale).Quo(inc, h)
		p.Pi.Add(p.Pi, inc)
		if p.Idle > 0 {
			d := p.Idle * dt
			out = ceilDiv(new(big.Int).Mul(p.L, big.NewInt(d)), h)
			if out.Cmp(p.L) > 0 {
				out.Set(p.L)
			}
			p.L.Sub(p.L, out)
			p.H -= d
		}
	}
	p.Now = t
	return out, nil
}

// Accrued is what idle device d has earned through Π since its checkpoint
// and not yet booked into Owed, uloop rounded down (0 while leased).
func (p *Pool) Accrued(d *Device) *big.Int {
	if d.Lease != 0 {
		return new(big.Int)
	}
	acc := new(big.Int).Sub(p.Pi, d.Checkpoint)
	return acc.Quo(acc, Scale)
}

// settleIdle books an idle device's index accrual since its checkpoint.
func (p *Pool) settleIdle(d *Device) {
	d.Owed.Add(d.Owed, p.Accrued(d))
	d.Checkpoint = new(big.Int).Set(p.Pi)
}

// release moves the escrow of l released up to min(Now, End) to device d:
// the unreleased part runs out linearly from ReleasedAt to End, rounded down.
func (p *Pool) release(d *Device, l *Lease) {
	until := min(p.Now, l.End)
	if until <= l.ReleasedAt {
		return
	}
	left := new(big.Int).Sub(l.Price, l.Released)
	delta := new(big.Int).Mul(left, big.NewInt(until-l.ReleasedAt))
	delta.Quo(delta, big.NewInt(l.End-l.ReleasedAt))
	l.Released.Add(l.Released, delta)
	l.ReleasedAt = until
	p.Escrow.Sub(p.Escrow, delta)
	d.Owed.Add(d.Owed, delta)
}

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
	d.Lease = 0
	d.Checkpoint = new(big.Int).Set(p.Pi)
	d.Owed = new(big.Int)
	p.Idle++
	return inject, nil
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

// QuoteBuy returns the constant-product price X = ⌈L·h/(H−h)⌉ of h
// GPU-seconds and the fee ⌈X·fee⌉ on it, without changing anything.
func (p *Pool) QuoteBuy(h int64) (price, fee *big.Int, err error) {
	if h <= 0 {
		return nil, nil, fmt.Errorf("%w: duration must be positive", ErrBadAmount)
	}
	if h >= p.H {
		return nil, nil, fmt.Errorf("%w: %d of %d unsold GPU-seconds", ErrPoolTooShallow, h, p.H)
	}
	price = ceilDiv(new(big.Int).Mul(p.L, big.NewInt(h)), big.NewInt(p.H-h))
	return price, p.fee(price), nil
}

// BuyLease sells h GPU-seconds of idle device d from Now as lease l (ID
// set by the caller): the client pays X plus the fee (burned), X is
// escrowed for the device, H drops by h and L stays, so the price rises. It
// returns X and the fee.
func (p *Pool) BuyLease(d *Device, l *Lease, h int64) (price, fee *big.Int, err error) {
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
	p.Idle--
	*l = Lease{ID: l.ID, Device: d.ID, Start: p.Now, End: p.Now + h, Price: new(big.Int).Set(price),
		Released: new(big.Int), ReleasedAt: p.Now}
	d.Lease = l.ID
	p.H -= h
	p.Escrow.Add(p.Escrow, price)
	return price, fee, nil
}

// ExtendLease buys h more GPU-seconds of the device d that serves lease l,
// at the constant-product quote, when d's commitment covers the new end.
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
	l.Price.Add(l.Price, price)
	l.End += h
	p.H -= h
	p.Escrow.Add(p.Escrow, price)
	return price, fee, nil
}

// QuoteTerminate returns what terminating l at Now would refund and burn,
// without changing anything.
func (p *Pool) QuoteTerminate(l *Lease) (refund, fee *big.Int, err error) {
	if l.Ended || p.Now >= l.End {
		return nil, nil, ErrLeaseEnded
	}
	scratch := &Device{Owed: new(big.Int)}
	c := *l
	c.Released = new(big.Int).Set(l.Released)
	q := p.Clone()
	q.release(scratch, &c)
	unreleased := new(big.Int).Sub(c.Price, c.Released)
	fee = q.fee(unreleased)
	if fee.Cmp(unreleased) > 0 {
		fee.Set(unreleased)
	}
	return unreleased.Sub(unreleased, fee), fee, nil
}

// Terminate ends lease l of device d early at Now: the unused time returns
// to the device and to H (the price falls), the device owns the released
// escrow, and the client gets the unreleased escrow minus the fee (burned).
// It returns the refund and the fee.
func (p *Pool) Terminate(d *Device, l *Lease) (refund, fee *big.Int, err error) {
	refund, fee, err = p.QuoteTerminate(l)
	if err != nil {
		return nil, nil, err
	}
	p.release(d, l)
	p.Escrow.Sub(p.Escrow, new(big.Int).Add(refund, fee))
	p.H += l.End - p.Now
	l.End, l.Ended = p.Now, true
	d.Lease = 0
	d.Checkpoint = new(big.Int).Set(p.Pi)
	p.Idle++
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
	l.Ended = true
	d.Lease = 0
	d.Checkpoint = new(big.Int).Set(p.Pi)
	p.Idle++
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
	p.settleIdle(d)
	p.Idle--
	owed := d.Owed
	d.Owed = new(big.Int)
	return owed, nil
}

// Unsold is device d's unsold time at Now: End − Now when idle, End − the
// lease's end when it serves lease l.
func (p *Pool) Unsold(d *Device, l *Lease) int64 {
	if d.Lease != 0 && l != nil {
		return d.End - l.End
	}
	return d.End - p.Now
}

// Renew extends device d's commitment to newEnd (whitepaper §4.2.2): the
// added time joins H and the miner injects ⌈Δ·L/H⌉ uloop at the spot price,
// so the price does not move. It returns the injection.
func (p *Pool) Renew(d *Device, newEnd int64) (*big.Int, error) {
	added := newEnd - d.End
	if added <= 0 {
		return nil, fmt.Errorf("%w: the new end must be after the current end %d", ErrBadAmount, d.End)
	}
	inject := p.atSpot(added)
	p.H += added
	p.L.Add(p.L, inject)
	d.End = newEnd
	return inject, nil
}

// Fail removes failed LP device d, serving lease l or idle with l nil
// (PROTOCOL.md §2, §3): the lease is broken and its client refunded the
// unreleased escrow (no fee: not the client's doing); the device's unsold
// time leaves H with ⌊L·u/H⌋ of L, returned to the miner together with what
// the position is owed. It returns the miner's payout and the client's
// refund.
func (p *Pool) Fail(d *Device, l *Lease) (miner, client *big.Int, err error) {
	if (d.Lease != 0) != (l != nil) {
		return nil, nil, fmt.Errorf("%w: device %d lease %d", ErrUnknownLease, d.ID, d.Lease)
	}
	u := p.Unsold(d, l) // a broken lease's time was sold and never returns
	client = new(big.Int)
	if l != nil {
		p.release(d, l)
		client.Sub(l.Price, l.Released)
		p.Escrow.Sub(p.Escrow, client)
		l.End, l.Ended = p.Now, true
		d.Lease = 0
	} else {
		p.settleIdle(d)
		p.Idle--
	}
	share := new(big.Int)
	if p.H > 0 && u > 0 {
		share.Mul(p.L, big.NewInt(u)).Quo(share, big.NewInt(p.H))
	}
	p.H -= u
	p.L.Sub(p.L, share)
	miner = new(big.Int).Add(share, d.Owed)
	d.Owed = new(big.Int)
	return miner, client, nil
}
