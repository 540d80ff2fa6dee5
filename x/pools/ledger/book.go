package ledger

import (
	"errors"
	"fmt"
	"math/big"
	"sort"
)

// Book is the reference driver of a Pool: it keeps the devices and leases
// in maps, finds due lease and commitment ends by scanning, and totals what
// came in, went out and was burned, so tests can check the properties
// I1–I5 on random operation sequences. The x/pools keeper replaces the maps
// with collections and the scan with time-keyed queues; the rules are the
// Pool's in both.
type Book struct {
	*Pool
	Devices map[uint64]*Device
	Leases  map[uint64]*Lease
	nextID  uint64
	// In, Out and Burned total the uloop in from LPs and clients, out to
	// LPs and clients, and burned as fees.
	In, Out, Burned *big.Int
}

// New returns a Book over an empty pool at now with the exchange fee
// feeNum/feeDen and the reference price for its first stake (uloop per
// GPU-second).
func New(now int64, feeNum, feeDen int64, refPrice int64) *Book {
	return NewBook(NewPool(now, feeNum, feeDen, big.NewRat(refPrice, 1)))
}

// NewBook returns a Book over pool p, which must hold no devices (an empty
// pool from NewPool, e.g. with a fractional reference price).
func NewBook(p *Pool) *Book {
	return &Book{Pool: p, Devices: map[uint64]*Device{}, Leases: map[uint64]*Lease{},
		In: new(big.Int), Out: new(big.Int), Burned: new(big.Int)}
}

// Forget removes lease id from the Book once it has ended, so a long run
// does not keep (and scan) every closed lease; an active lease is kept.
func (b *Book) Forget(id uint64) {
	if l, ok := b.Leases[id]; ok && l.Ended {
		delete(b.Leases, id)
	}
}

// ErrInvariant is returned by CheckInvariants.
var ErrInvariant = errors.New("ledger invariant broken")

// CheckInvariants returns ErrInvariant, naming the first one broken, unless
// I1 holds (H is the committed devices' unsold time, HSold the sold ones'),
// no reserve is negative and I5 holds (the module holds L + escrow + owed,
// with non-negative dust) — the checks the property tests and the market
// simulator run after every operation.
func (b *Book) CheckInvariants() error {
	var unsold, sold int64
	for _, id := range b.DeviceIDs() {
		d := b.Devices[id]
		u := b.UnsoldOf(d)
		if u < 0 {
			return fmt.Errorf("%w: device %d has negative unsold time %d", ErrInvariant, id, u)
		}
		unsold += u
		if d.Sold {
			sold += u
		}
	}
	switch {
	case unsold != b.H:
		return fmt.Errorf("%w: I1: H = %d but the committed devices' unsold time is %d", ErrInvariant, b.H, unsold)
	case sold != b.HSold:
		return fmt.Errorf("%w: HSold = %d but the sold devices' unsold time is %d", ErrInvariant, b.HSold, sold)
	case b.L.Sign() < 0 || b.Escrow.Sign() < 0:
		return fmt.Errorf("%w: negative reserve (L %s, escrow %s)", ErrInvariant, b.L, b.Escrow)
	case b.Dust().Sign() < 0:
		return fmt.Errorf("%w: I5: rounding against the pool (dust %s)", ErrInvariant, b.Dust())
	}
	return nil
}

// DeviceIDs returns the ids of the Book's devices in increasing order (a
// deterministic order to walk them in).
func (b *Book) DeviceIDs() []uint64 {
	ids := make([]uint64, 0, len(b.Devices))
	for id := range b.Devices {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

// event is a lease end or a commitment end at a time.
type event struct {
	at     int64
	lease  uint64 // lease end when ≠ 0
	device uint64 // commitment end when lease = 0
}

// pending lists the events in (Now, t], in time order (lease ends first at
// a tie, so a device freed at its commitment end is idle for zero time).
func (b *Book) pending(t int64) []event {
	var evs []event
	for _, l := range b.Leases {
		if !l.Ended && l.End <= t {
			evs = append(evs, event{at: l.End, lease: l.ID})
		}
	}
	for _, d := range b.Devices {
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

// Advance accounts time up to t: dissipation between events, lease ends and
// commitment ends (the position is settled and paid). It returns the
// payouts by device.
func (b *Book) Advance(t int64) (map[uint64]*big.Int, error) {
	if t < b.Now {
		return nil, fmt.Errorf("%w: %d < %d", ErrTimeBackwards, t, b.Now)
	}
	paid := map[uint64]*big.Int{}
	for _, ev := range b.pending(t) {
		if _, err := b.Dissipate(ev.at); err != nil {
			return nil, err
		}
		if ev.lease != 0 {
			l := b.Leases[ev.lease]
			if err := b.EndLease(b.Devices[l.Device], l); err != nil {
				return nil, err
			}
			continue
		}
		owed, err := b.EndCommitment(b.Devices[ev.device])
		if err != nil {
			return nil, err
		}
		paid[ev.device] = owed
		b.Out.Add(b.Out, owed)
		delete(b.Devices, ev.device)
	}
	_, err := b.Dissipate(t)
	return paid, err
}

// StakeLP commits device id until end and returns the injection.
func (b *Book) StakeLP(id uint64, end int64) (*big.Int, error) {
	if _, ok := b.Devices[id]; ok {
		return nil, ErrDeviceExists
	}
	d := &Device{ID: id, End: end}
	in, err := b.Pool.StakeLP(d)
	if err != nil {
		return nil, err
	}
	b.Devices[id] = d
	b.In.Add(b.In, in)
	return in, nil
}

// BuyLease sells h GPU-seconds of idle device id and returns the lease and
// what the client paid (price and fee).
func (b *Book) BuyLease(id uint64, h int64) (*Lease, *big.Int, error) {
	d, ok := b.Devices[id]
	if !ok {
		return nil, nil, ErrUnknownDevice
	}
	l := &Lease{ID: b.nextID + 1}
	price, fee, err := b.Pool.BuyLease(d, l, h)
	if err != nil {
		return nil, nil, err
	}
	b.nextID++
	b.Leases[l.ID] = l
	paid := new(big.Int).Add(price, fee)
	b.In.Add(b.In, paid)
	b.Burned.Add(b.Burned, fee)
	return l, paid, nil
}

// Extend buys h more GPU-seconds on lease id and returns what was paid.
func (b *Book) Extend(id uint64, h int64) (*big.Int, error) {
	l, ok := b.Leases[id]
	if !ok {
		return nil, ErrUnknownLease
	}
	price, fee, err := b.ExtendLease(b.Devices[l.Device], l, h)
	if err != nil {
		return nil, err
	}
	paid := new(big.Int).Add(price, fee)
	b.In.Add(b.In, paid)
	b.Burned.Add(b.Burned, fee)
	return paid, nil
}

// Terminate ends lease id early and returns the refund.
func (b *Book) Terminate(id uint64) (*big.Int, error) {
	l, ok := b.Leases[id]
	if !ok {
		return nil, ErrUnknownLease
	}
	if l.Ended {
		return nil, ErrLeaseEnded
	}
	refund, fee, err := b.Pool.Terminate(b.Devices[l.Device], l)
	if err != nil {
		return nil, err
	}
	b.Out.Add(b.Out, refund)
	b.Burned.Add(b.Burned, fee)
	return refund, nil
}

// Renew extends device id's commitment to newEnd and returns the injection.
func (b *Book) Renew(id uint64, newEnd int64) (*big.Int, error) {
	d, ok := b.Devices[id]
	if !ok {
		return nil, ErrUnknownDevice
	}
	var l *Lease
	if d.Lease != 0 {
		l = b.Leases[d.Lease]
	}
	in, err := b.Pool.Renew(d, l, newEnd)
	if err != nil {
		return nil, err
	}
	b.In.Add(b.In, in)
	return in, nil
}

// Fail removes failed device id, which last passed a challenge at since
// (unix seconds), and returns what moved: the miner's payout and the
// client's refund (clawback included) are paid by the pool; the refund owed
// by a seller's collateral is not the pool's money.
func (b *Book) Fail(id uint64, since int64) (Failure, error) {
	d, ok := b.Devices[id]
	if !ok {
		return Failure{}, ErrUnknownDevice
	}
	var l *Lease
	if d.Lease != 0 {
		l = b.Leases[d.Lease]
	}
	f, err := b.Pool.Fail(d, l, since)
	if err != nil {
		return Failure{}, err
	}
	b.Out.Add(b.Out, f.Miner)
	b.Out.Add(b.Out, f.Client)
	if !d.Failed {
		delete(b.Devices, id) // a failed sold device stays until its stream ends
	}
	return f, nil
}

// FundStream pays amount into failed sold device id's stream (what x/stake
// does with a failed seller's penalty).
func (b *Book) FundStream(id uint64, amount *big.Int) error {
	d, ok := b.Devices[id]
	if !ok {
		return ErrUnknownDevice
	}
	if err := b.Pool.FundStream(d, amount); err != nil {
		return err
	}
	b.In.Add(b.In, amount)
	return nil
}

// Sell sells device id's time until end into the pool and returns what
// the seller received (quote less the burned fee).
func (b *Book) Sell(id uint64, end int64) (*big.Int, error) {
	if _, ok := b.Devices[id]; ok {
		return nil, ErrDeviceExists
	}
	d := &Device{ID: id, End: end}
	out, fee, err := b.Pool.Sell(d)
	if err != nil {
		return nil, err
	}
	b.Devices[id] = d
	got := new(big.Int).Sub(out, fee)
	b.Out.Add(b.Out, got)
	b.Burned.Add(b.Burned, fee)
	return got, nil
}

// UnsoldOf is device d's unsold time at Now.
func (b *Book) UnsoldOf(d *Device) int64 {
	if d.Lease != 0 {
		return b.Unsold(d, b.Leases[d.Lease])
	}
	return b.Unsold(d, nil)
}

// Owed is what positions are owed now: booked amounts, index accrual of
// idle devices (lease revenue is booked as it is released).
func (b *Book) Owed() *big.Int {
	total := new(big.Int)
	for _, d := range b.Devices {
		total.Add(total, d.Owed)
		var l *Lease
		if d.Lease != 0 {
			l = b.Leases[d.Lease]
		}
		total.Add(total, b.Accrued(d, l))
	}
	return total
}

// Holdings is what the module account holds for this pool: everything in,
// less everything out and burned.
func (b *Book) Holdings() *big.Int {
	h := new(big.Int).Sub(b.In, b.Out)
	return h.Sub(h, b.Burned)
}

// Dust is Holdings − (L + Escrow + Owed): rounding kept by the module. It
// is never negative (I5).
func (b *Book) Dust() *big.Int {
	d := b.Holdings()
	d.Sub(d, b.L)
	d.Sub(d, b.Escrow)
	return d.Sub(d, b.Owed())
}
