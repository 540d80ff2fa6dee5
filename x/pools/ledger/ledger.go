// Package ledger is the device-true accounting of one x/pools pool
// (PROTOCOL.md §2), in pure deterministic Go: integer GPU-seconds, integer
// uloop, and a 10^30-scaled price-time index. The keeper will store its
// state in collections and drive it from messages and queues; the package
// itself holds the rules and is tested for the properties I1–I5 on random
// operation sequences.
//
// This first version covers liquidity-provider devices and leases: LP stakes
// (time joins H at the spot price), leases bought at the constant-product
// quote (H falls, L stays, the price rises), early termination, lazy
// dissipation of idle time (price-neutral, paid to each idle device through
// the price-time index Π = ∫P dt), settlement at commitment end, renewal and
// failure. Sales
// (pool-owned time, whose income the LP positions share by time-weighted
// unsold time) come next.
//
// Rounding is always in the pool's favour: quotes and injections round up,
// payouts and refunds round down, and what dissipation removes from L rounds
// up; the difference between what left L and what positions are owed is
// dust the module keeps (Dust).
package ledger

import (
	"errors"
	"fmt"
	"math/big"
	"sort"
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
	// checkpoint is Π when the device last became idle or settled.
	checkpoint *big.Int
	// Owed is uloop owed to the position and not yet paid (settled index
	// accrual and released lease revenue).
	Owed *big.Int
}

// Lease is a client's exclusive use of one device.
type Lease struct {
	ID, Device uint64
	Start, End int64
	// Price is X, the escrowed uloop, released linearly to the device.
	Price *big.Int
	// released is what has been moved from escrow to the device so far.
	released *big.Int
	Ended    bool
}

// Pool is one GPU class's pool.
type Pool struct {
	// H is unsold GPU-seconds of every committed device; L is uloop held.
	H int64
	L *big.Int
	// Pi is Π, the price-time index, × Scale.
	Pi *big.Int
	// Now is the time the state is accounted up to.
	Now int64
	// FeeNum/FeeDen is the exchange fee, burned on every trade.
	FeeNum, FeeDen int64
	// RefPrice prices the first stake in an empty pool, uloop per GPU-second.
	RefPrice *big.Int

	Devices map[uint64]*Device
	Leases  map[uint64]*Lease
	idle    int64
	nextID  uint64

	// Accounting totals (for I5 and events): uloop in from LPs and clients,
	// out to LPs and clients, and burned as fees.
	In, Out, Burned *big.Int
	// removed is what dissipation took out of L into positions' hands.
	removed *big.Int
	// escrow is unreleased lease payments.
	escrow *big.Int
}

// New returns an empty pool with the exchange fee feeNum/feeDen and the
// reference price for its first stake.
func New(now int64, feeNum, feeDen int64, refPrice int64) *Pool {
	return &Pool{
		L: new(big.Int), Pi: new(big.Int), Now: now, FeeNum: feeNum, FeeDen: feeDen,
		RefPrice: big.NewInt(refPrice), Devices: map[uint64]*Device{}, Leases: map[uint64]*Lease{},
		In: new(big.Int), Out: new(big.Int), Burned: new(big.Int), removed: new(big.Int), escrow: new(big.Int),
	}
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
// GPU-second × Scale. The keeper keeps Π snapshots per epoch for windows.
func TWAP(piStart, piEnd *big.Int, dt int64) (*big.Int, error) {
	if dt <= 0 {
		return nil, fmt.Errorf("%w: TWAP window must be positive", ErrBadAmount)
	}
	d := new(big.Int).Sub(piEnd, piStart)
	return d.Quo(d, big.NewInt(dt)), nil
}

// Price returns the spot price L/H as a rational (nil when H = 0).
func (p *Pool) Price() *big.Rat {
	if p.H == 0 {
		return nil
	}
	return new(big.Rat).SetFrac(p.L, big.NewInt(p.H))
}

// dissipate accounts [Now, t) with no event inside: every idle device loses
// t − Now of unsold time, and ceil(L·D/H) uloop leaves L for the positions
// (D = idle·(t − Now)); Π grows by floor(L·(t−Now)·Scale/H).
func (p *Pool) dissipate(t int64) {
	dt := t - p.Now
	if dt <= 0 {
		return
	}
	if p.H > 0 {
		// Π accumulates the price whether or not a device idles, so it is
		// also the TWAP accumulator; only idle devices claim from it.
		h := big.NewInt(p.H)
		inc := new(big.Int).Mul(p.L, big.NewInt(dt))
		inc.Mul(inc, Scale).Quo(inc, h)
		p.Pi.Add(p.Pi, inc)
		if p.idle > 0 {
			d := p.idle * dt
			out := ceilDiv(new(big.Int).Mul(p.L, big.NewInt(d)), h)
			if out.Cmp(p.L) > 0 {
				out.Set(p.L)
			}
			p.L.Sub(p.L, out)
			p.removed.Add(p.removed, out)
			p.H -= d
		}
	}
	p.Now = t
}

// settleIdle books a device's index accrual since its checkpoint.
func (p *Pool) settleIdle(d *Device) {
	acc := new(big.Int).Sub(p.Pi, d.checkpoint)
	acc.Quo(acc, Scale)
	d.Owed.Add(d.Owed, acc)
	d.checkpoint = new(big.Int).Set(p.Pi)
}

// releaseLease moves escrow released up to t to the leased device.
func (p *Pool) releaseLease(l *Lease, t int64) {
	until := min(t, l.End)
	due := new(big.Int).Mul(l.Price, big.NewInt(until-l.Start))
	due.Quo(due, big.NewInt(l.End-l.Start))
	delta := new(big.Int).Sub(due, l.released)
	if delta.Sign() <= 0 {
		return
	}
	l.released.Add(l.released, delta)
	p.escrow.Sub(p.escrow, delta)
	p.Devices[l.Device].Owed.Add(p.Devices[l.Device].Owed, delta)
}

// event is a lease end or a commitment end at a time.
type event struct {
	at     int64
	lease  uint64 // lease end when ≠ 0
	device uint64 // commitment end when lease = 0
}

// pending lists the events in (Now, t], in time order (leases first at a
// tie, so a device freed at its commitment end is idle for zero time). A
// keeper keeps these in time-keyed queues; the pure ledger scans.
func (p *Pool) pending(t int64) []event {
	var evs []event
	for _, l := range p.Leases {
		if !l.Ended && l.End <= t {
			evs = append(evs, event{at: l.End, lease: l.ID})
		}
	}
	for _, d := range p.Devices {
		if d.End <= t {
			evs = append(evs, event{at: d.End, device: d.ID})
		}
	}
	sort.Slice(evs, func(i, j int) bool {
		if evs[i].at != evs[j].at {
			return evs[i].at < evs[j].at
		}
		if (evs[i].lease != 0) != (evs[j].lease != 0) {
			return evs[i].lease != 0
		}
		return evs[i].lease+evs[i].device < evs[j].lease+evs[j].device
	})
	return evs
}

// Advance accounts time up to t: dissipation between events, lease ends
// (the device becomes idle and its escrow is released) and commitment ends
// (the position is settled and paid; it returns the payouts by device).
func (p *Pool) Advance(t int64) (map[uint64]*big.Int, error) {
	if t < p.Now {
		return nil, fmt.Errorf("%w: %d < %d", ErrTimeBackwards, t, p.Now)
	}
	paid := map[uint64]*big.Int{}
	for _, ev := range p.pending(t) {
		p.dissipate(ev.at)
		if ev.lease != 0 {
			l := p.Leases[ev.lease]
			p.releaseLease(l, ev.at)
			l.Ended = true
			d := p.Devices[l.Device]
			d.Lease = 0
			d.checkpoint = new(big.Int).Set(p.Pi)
			p.idle++
			continue
		}
		d := p.Devices[ev.device]
		p.settleIdle(d)
		p.idle--
		paid[d.ID] = d.Owed
		p.Out.Add(p.Out, d.Owed)
		delete(p.Devices, d.ID)
	}
	p.dissipate(t)
	return paid, nil
}

// StakeLP commits device id until end: its time h = end − Now joins H and
// the miner injects ceil(h·L/H) uloop (h·RefPrice into an empty pool), so
// the price does not move. It returns the injection.
func (p *Pool) StakeLP(id uint64, end int64) (*big.Int, error) {
	if _, ok := p.Devices[id]; ok {
		return nil, ErrDeviceExists
	}
	h := end - p.Now
	if h <= 0 {
		return nil, fmt.Errorf("%w: commitment must end after now", ErrBadAmount)
	}
	var inject *big.Int
	if p.H == 0 {
		inject = new(big.Int).Mul(big.NewInt(h), p.RefPrice)
	} else {
		inject = ceilDiv(new(big.Int).Mul(big.NewInt(h), p.L), big.NewInt(p.H))
	}
	p.H += h
	p.L.Add(p.L, inject)
	p.In.Add(p.In, inject)
	p.Devices[id] = &Device{ID: id, End: end, checkpoint: new(big.Int).Set(p.Pi), Owed: new(big.Int)}
	p.idle++
	return inject, nil
}

// fee returns ceil(amount · fee).
func (p *Pool) fee(amount *big.Int) *big.Int {
	return ceilDiv(new(big.Int).Mul(amount, big.NewInt(p.FeeNum)), big.NewInt(p.FeeDen))
}

// QuoteBuy returns the constant-product price X = ceil(L·h/(H−h)) of h
// GPU-seconds and the fee on it, without changing anything.
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

// BuyLease sells h GPU-seconds of idle device id from Now: the client pays
// X plus the fee (burned), X is escrowed for the device, H drops by h and L
// stays, so the price rises. It returns the lease and what the client paid.
func (p *Pool) BuyLease(id uint64, h int64) (*Lease, *big.Int, error) {
	d, ok := p.Devices[id]
	if !ok {
		return nil, nil, ErrUnknownDevice
	}
	if d.Lease != 0 {
		return nil, nil, ErrDeviceBusy
	}
	if p.Now+h > d.End {
		return nil, nil, fmt.Errorf("%w: commitment ends at %d", ErrNotCovered, d.End)
	}
	price, fee, err := p.QuoteBuy(h)
	if err != nil {
		return nil, nil, err
	}
	p.settleIdle(d)
	p.idle--
	p.nextID++
	l := &Lease{ID: p.nextID, Device: id, Start: p.Now, End: p.Now + h, Price: price, released: new(big.Int)}
	p.Leases[l.ID] = l
	d.Lease = l.ID
	p.H -= h
	p.escrow.Add(p.escrow, price)
	p.In.Add(p.In, new(big.Int).Add(price, fee))
	p.Burned.Add(p.Burned, fee)
	return l, new(big.Int).Add(price, fee), nil
}

// Terminate ends lease id early at Now: the unused time returns to the
// device and to H (the price falls), the device owns the released escrow,
// and the client gets the unreleased escrow minus the fee (burned). It
// returns the refund.
func (p *Pool) Terminate(id uint64) (*big.Int, error) {
	l, ok := p.Leases[id]
	if !ok {
		return nil, ErrUnknownLease
	}
	if l.Ended || p.Now >= l.End {
		return nil, ErrLeaseEnded
	}
	p.releaseLease(l, p.Now)
	unreleased := new(big.Int).Sub(l.Price, l.released)
	fee := p.fee(unreleased)
	if fee.Cmp(unreleased) > 0 {
		fee.Set(unreleased)
	}
	refund := new(big.Int).Sub(unreleased, fee)
	p.escrow.Sub(p.escrow, unreleased)
	p.Burned.Add(p.Burned, fee)
	p.Out.Add(p.Out, refund)
	p.H += l.End - p.Now
	l.End, l.Ended = p.Now, true
	d := p.Devices[l.Device]
	d.Lease = 0
	d.checkpoint = new(big.Int).Set(p.Pi)
	p.idle++
	return refund, nil
}

// Unsold is device id's unsold time at Now: end − Now when idle, end −
// lease end when leased.
func (p *Pool) Unsold(d *Device) int64 {
	if d.Lease != 0 {
		return d.End - p.Leases[d.Lease].End
	}
	return d.End - p.Now
}

// Owed is what positions are owed now: booked amounts, index accrual of
// idle devices and escrow already earned by leased ones.
func (p *Pool) Owed() *big.Int {
	total := new(big.Int)
	for _, d := range p.Devices {
		total.Add(total, d.Owed)
		if d.Lease == 0 {
			acc := new(big.Int).Sub(p.Pi, d.checkpoint)
			total.Add(total, acc.Quo(acc, Scale))
		}
	}
	return total
}

// Escrow is the unreleased lease payments.
func (p *Pool) Escrow() *big.Int { return new(big.Int).Set(p.escrow) }

// Holdings is what the module account holds for this pool: everything in,
// less everything out and burned.
func (p *Pool) Holdings() *big.Int {
	h := new(big.Int).Sub(p.In, p.Out)
	return h.Sub(h, p.Burned)
}

// Dust is Holdings − (L + Escrow + Owed): rounding kept by the module. It
// is never negative (I5).
func (p *Pool) Dust() *big.Int {
	d := p.Holdings()
	d.Sub(d, p.L)
	d.Sub(d, p.escrow)
	return d.Sub(d, p.Owed())
}

// Renew extends device id's commitment to newEnd (whitepaper §4.2.2): the
// added time joins H and the miner injects ⌈Δ·L/H⌉ uloop at the spot price,
// so the price does not move. It returns the injection.
func (p *Pool) Renew(id uint64, newEnd int64) (*big.Int, error) {
	d, ok := p.Devices[id]
	if !ok {
		return nil, ErrUnknownDevice
	}
	added := newEnd - d.End
	if added <= 0 {
		return nil, fmt.Errorf("%w: the new end must be after the current end %d", ErrBadAmount, d.End)
	}
	var inject *big.Int
	if p.H == 0 { // only leased time left: price the renewal at the reference
		inject = new(big.Int).Mul(big.NewInt(added), p.RefPrice)
	} else {
		inject = ceilDiv(new(big.Int).Mul(big.NewInt(added), p.L), big.NewInt(p.H))
	}
	p.H += added
	p.L.Add(p.L, inject)
	p.In.Add(p.In, inject)
	d.End = newEnd
	return inject, nil
}

// Fail removes a failed LP device (PROTOCOL.md §2, §3): a lease it serves is
// broken and its client refunded the unreleased escrow (no fee: not the
// client's doing); the device's unsold time leaves H with ⌊P·u⌋ of L,
// returned to the miner together with what the position is owed. It returns
// the miner's payout and the client's refund.
func (p *Pool) Fail(id uint64) (miner, client *big.Int, err error) {
	d, ok := p.Devices[id]
	if !ok {
		return nil, nil, ErrUnknownDevice
	}
	u := p.Unsold(d) // its unsold time: a broken lease's time was sold and never returns
	client = new(big.Int)
	if d.Lease != 0 {
		l := p.Leases[d.Lease]
		p.releaseLease(l, p.Now)
		client.Sub(l.Price, l.released)
		p.escrow.Sub(p.escrow, client)
		p.Out.Add(p.Out, client)
		l.End, l.Ended = p.Now, true
		d.Lease = 0
	} else {
		p.settleIdle(d)
		p.idle--
	}
	share := new(big.Int)
	if p.H > 0 && u > 0 {
		share.Mul(p.L, big.NewInt(u)).Quo(share, big.NewInt(p.H))
	}
	p.H -= u
	p.L.Sub(p.L, share)
	miner = new(big.Int).Add(share, d.Owed)
	p.Out.Add(p.Out, miner)
	delete(p.Devices, id)
	return miner, client, nil
}
