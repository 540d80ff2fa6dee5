package ledger_test

import (
	"encoding/binary"
	"math/big"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/loopin-project/loopin/x/pools/ledger"
)

func bi(v int64) *big.Int { return big.NewInt(v) }

// checkInvariants asserts I1 (H equals the devices' unsold time) and I5
// (the module holds L + escrow + owed, with non-negative dust).
func checkInvariants(t *testing.T, p *ledger.Book) {
	t.Helper()
	require.NoError(t, p.CheckInvariants())
}

// The worked example of docs/pools.md.
func TestWorkedExample(t *testing.T) {
	p := ledger.New(0, 3, 1000, 10) // fee 0.3 %, reference price 10 uloop/GPU-s
	in, err := p.StakeLP(1, 100)
	require.NoError(t, err)
	require.Equal(t, bi(1000), in, "first stake sets the price: 100 s × 10")
	in, err = p.StakeLP(2, 200)
	require.NoError(t, err)
	require.Equal(t, bi(2000), in, "200 s at the spot price 10")
	require.Equal(t, int64(300), p.H)

	_, err = p.Advance(10) // both idle 10 s: 20 GPU-s dissipate at price 10
	require.NoError(t, err)
	require.Equal(t, int64(280), p.H)
	require.Equal(t, bi(2800), p.L)
	require.Equal(t, big.NewRat(10, 1), p.Price(), "I2: dissipation is price-neutral")

	price, fee, err := p.QuoteBuy(40)
	require.NoError(t, err)
	require.Equal(t, bi(432), price, "⌈2800·ln(280/240)⌉ = ⌈431.62⌉")
	require.Equal(t, bi(2), fee, "ceil(432 × 0.3 %)")
	l, paid, err := p.BuyLease(2, 40)
	require.NoError(t, err)
	require.Equal(t, bi(434), paid)
	require.Equal(t, int64(240), p.H)
	require.Equal(t, bi(2800), p.L, "a lease takes time, not uloop")
	require.Equal(t, big.NewRat(35, 3), p.Price(), "scarcity raises the price to 11.67")
	checkInvariants(t, p)

	_, err = p.Advance(50) // device 1 alone idle; the lease ends at 50
	require.NoError(t, err)
	require.True(t, p.Leases[l.ID].Ended)
	require.Equal(t, bi(432+100), p.Devices[2].Owed, "I4: the device owns its lease revenue (432) and its 10 s idle (100)")
	checkInvariants(t, p)

	payouts, err := p.Advance(100) // device 1's commitment ends
	require.NoError(t, err)
	require.Contains(t, payouts, uint64(1))
	payouts2, err := p.Advance(200)
	require.NoError(t, err)
	checkInvariants(t, p)
	require.Equal(t, int64(0), p.H)
	require.True(t, p.L.Sign() == 0, "all of L is paid out when all time is gone: %s", p.L)
	total := new(big.Int).Add(payouts[1], payouts2[2])
	require.Equal(t, new(big.Int).Sub(p.Out, bi(0)), total)
	// Everything that came in (3000 + 434) left as payouts, fee burned, or dust.
	require.Equal(t, bi(3434), new(big.Int).Add(new(big.Int).Add(p.Out, p.Burned), p.Dust()))
	require.True(t, p.Dust().Cmp(bi(10)) <= 0, "dust is a few uloop: %s", p.Dust())
	t.Logf("payouts: device 1 %s, device 2 %s, burned %s, dust %s", payouts[1], payouts2[2], p.Burned, p.Dust())
}

// I3: an LP alone, with no trades, gets back what it injected (less a few
// uloop of rounding that stays in the pool), however time is sliced.
func TestLoneLPGetsItsInjectionBack(t *testing.T) {
	for _, steps := range [][]int64{{1000}, {1, 2, 3, 994}, {333, 333, 333, 1}, {7, 500, 493}} {
		p := ledger.New(0, 3, 1000, 37)
		in, err := p.StakeLP(1, 1000)
		require.NoError(t, err)
		now := int64(0)
		got := new(big.Int)
		for _, s := range steps {
			now += s
			paid, err := p.Advance(now)
			require.NoError(t, err)
			checkInvariants(t, p)
			if v, ok := paid[1]; ok {
				got.Add(got, v)
			}
		}
		require.True(t, got.Cmp(in) <= 0, "never more than injected")
		require.True(t, new(big.Int).Sub(in, got).Cmp(bi(int64(len(steps)))) <= 0, "at most one uloop of dust per accounting step: got %s of %s", got, in)
	}
}

// I3 with two LPs of different starts and no trades: each gets its own.
func TestTwoLPsNoTradesNoTransfer(t *testing.T) {
	p := ledger.New(0, 3, 1000, 10)
	a, err := p.StakeLP(1, 600)
	require.NoError(t, err)
	_, err = p.Advance(150)
	require.NoError(t, err)
	b, err := p.StakeLP(2, 1000)
	require.NoError(t, err)
	paidA, err := p.Advance(600)
	require.NoError(t, err)
	paidB, err := p.Advance(1000)
	require.NoError(t, err)
	for _, c := range []struct{ in, out *big.Int }{{a, paidA[1]}, {b, paidB[2]}} {
		require.True(t, c.out.Cmp(c.in) <= 0)
		require.True(t, new(big.Int).Sub(c.in, c.out).Cmp(bi(3)) <= 0, "paid %s of %s", c.out, c.in)
	}
}

func TestTerminateRefundsTheUnreleasedEscrow(t *testing.T) {
	p := ledger.New(0, 3, 1000, 10)
	_, err := p.StakeLP(1, 1000)
	require.NoError(t, err)
	_, err = p.StakeLP(2, 1000)
	require.NoError(t, err)
	l, _, err := p.BuyLease(1, 400)
	require.NoError(t, err)
	priceBefore := p.Price()
	_, err = p.Advance(100)
	require.NoError(t, err)
	refund, err := p.Terminate(l.ID)
	require.NoError(t, err)
	unreleased := new(big.Int).Sub(l.Price, new(big.Int).Quo(new(big.Int).Mul(l.Price, bi(100)), bi(400)))
	fee := new(big.Int).Quo(new(big.Int).Add(new(big.Int).Mul(unreleased, bi(3)), bi(999)), bi(1000))
	require.Equal(t, new(big.Int).Sub(unreleased, fee), refund)
	require.True(t, p.Price().Cmp(priceBefore) < 0, "returned time lowers the price")
	checkInvariants(t, p)
	_, err = p.Terminate(l.ID)
	require.ErrorIs(t, err, ledger.ErrLeaseEnded)
}

func TestErrorsChangeNothing(t *testing.T) {
	p := ledger.New(0, 3, 1000, 10)
	_, err := p.StakeLP(1, 100)
	require.NoError(t, err)
	snapshot := func() [3]string { return [3]string{p.L.String(), big.NewInt(p.H).String(), p.Pi.String()} }
	before := snapshot()
	_, err = p.StakeLP(1, 200)
	require.ErrorIs(t, err, ledger.ErrDeviceExists)
	_, err = p.StakeLP(2, 0)
	require.ErrorIs(t, err, ledger.ErrBadAmount)
	_, _, err = p.BuyLease(9, 10)
	require.ErrorIs(t, err, ledger.ErrUnknownDevice)
	_, _, err = p.BuyLease(1, 100)
	require.ErrorIs(t, err, ledger.ErrPoolTooShallow)
	_, _, err = p.BuyLease(1, 0)
	require.ErrorIs(t, err, ledger.ErrBadAmount)
	_, err = p.Advance(-1)
	require.ErrorIs(t, err, ledger.ErrTimeBackwards)
	_, err = p.Terminate(5)
	require.ErrorIs(t, err, ledger.ErrUnknownLease)
	require.Equal(t, before, snapshot())
	_, err = p.StakeLP(2, 50)
	require.NoError(t, err)
	_, _, err = p.BuyLease(2, 60)
	require.ErrorIs(t, err, ledger.ErrNotCovered)
	_, _, err = p.BuyLease(2, 20)
	require.NoError(t, err)
	_, _, err = p.BuyLease(2, 10)
	require.ErrorIs(t, err, ledger.ErrDeviceBusy)
}

// FuzzLedger runs random operation sequences and checks I1, I2 and I5 after
// every step: H equals the unsold time, non-trades move the price by at most
// one uloop of rounding per accounting interval (1/H each), and the module
// always holds L + escrow + owed with non-negative dust.
func FuzzLedger(f *testing.F) {
	f.Add([]byte{0, 10, 0, 1, 20, 2, 0, 5, 1, 50, 3, 0})
	f.Add([]byte{0, 200, 0, 0, 100, 0, 2, 1, 30, 1, 255, 3, 1, 1, 9})
	f.Add([]byte{0, 50, 0, 0, 90, 0, 2, 0, 20, 4, 0, 9, 1, 0, 30, 5, 0, 1, 1, 3, 0})
	f.Add([]byte{0, 100, 0, 7, 50, 0, 1, 0, 10, 2, 0, 1, 2, 0, 5, 1, 0, 30, 7, 20, 0, 1, 0, 90, 5, 0, 2, 1, 1, 0})
	f.Add([]byte{0, 10, 0, 0, 20, 0, 7, 1, 0, 2, 0, 40, 2, 0, 40, 1, 0, 7, 3, 0, 0, 6, 0, 9, 5, 0, 2, 1, 2, 0})
	// A sale, a lease on it, a just-in-time LP around its end; a sold
	// device's failure, a penalty, a just-in-time LP; a split quote.
	f.Add([]byte{0, 0, 200, 7, 0, 100, 2, 0, 1, 8, 0, 50, 1, 0, 90, 10, 0, 30})
	f.Add([]byte{0, 0, 200, 7, 0, 100, 5, 0, 2, 9, 0, 40, 8, 1, 0, 1, 1, 0})
	f.Fuzz(func(t *testing.T, ops []byte) {
		p := ledger.New(1_000, 3, 1000, 25)
		next := uint64(1)
		var leases []uint64
		for i := 0; i+2 < len(ops) && i < 300; i += 3 {
			arg := int64(binary.BigEndian.Uint16(ops[i+1 : i+3]))
			before := p.Price()
			// An advance accounts one interval per event it crosses, each
			// rounding by at most one uloop.
			events := int64(len(p.Devices) + len(p.Leases) + 1)
			trade := false
			switch ops[i] % 11 {
			case 0: // stake
				if _, err := p.StakeLP(next, p.Now+1+arg*7); err == nil {
					next++
				}
			case 1: // advance
				_, err := p.Advance(p.Now + arg%4000)
				require.NoError(t, err)
			case 2: // buy on some idle device
				for id := uint64(1); id < next; id++ {
					d, ok := p.Devices[id]
					if !ok || d.Lease != 0 {
						continue
					}
					h := 1 + arg%max(1, d.End-p.Now)
					if l, _, err := p.BuyLease(id, h); err == nil {
						leases = append(leases, l.ID)
						trade = true
					}
					break
				}
			case 4: // renew some device
				for id := uint64(1); id < next; id++ {
					if d, ok := p.Devices[id]; ok && !d.Sold {
						_, err := p.Renew(id, p.Devices[id].End+1+arg%5000)
						require.NoError(t, err)
						break
					}
				}
			case 5: // fail some device
				for id := uint64(1) + uint64(arg)%max(1, next); id < next; id++ {
					if d, ok := p.Devices[id]; ok && !d.Failed {
						// The device last passed a challenge up to 5000 s ago.
						var l *ledger.Lease
						if d.Lease != 0 {
							l = p.Leases[d.Lease]
						}
						f, err := p.Fail(id, p.Now-arg%5000)
						require.NoError(t, err)
						if l != nil {
							require.LessOrEqual(t, f.Clawback.Cmp(l.Released), 0, "a clawback never exceeds what was released")
						} else {
							require.Zero(t, f.Clawback.Sign(), "an idle device has nothing to claw back")
						}
						if d.Sold {
							require.Zero(t, f.Clawback.Sign(), "a sold device's revenue went to the LPs")
						}
						if f.Retained.Sign() > 0 {
							// Returned at its entry price, below the spot:
							// the rest stays in L and the price rises.
							trade = true
							require.True(t, p.H == 0 || p.Price().Cmp(before) >= 0, "what an LP failure retains raises the price")
						}
						break
					}
				}
			case 3: // terminate some lease: the refund is the quote
				if len(leases) > 0 {
					l := p.Leases[leases[int(arg)%len(leases)]]
					quote, _, qerr := p.QuoteTerminate(p.Devices[l.Device], l)
					refund, err := p.Terminate(l.ID)
					require.Equal(t, qerr == nil, err == nil)
					if err == nil {
						require.Equal(t, quote, refund, "estimate-terminate is what terminate refunds")
						trade = true
					}
				}
			case 7: // sell a device's time into the pool
				if _, err := p.Sell(next, p.Now+1+arg%3000); err == nil {
					next++
					trade = true
				}
			case 8: // a just-in-time LP: stakes a very long commitment, waits, leaves by failure
				if p.H == 0 || p.Stream.Sign() == 0 && p.HSold == 0 {
					break
				}
				price := p.Price()
				sold := int64(0)
				for _, d := range p.Devices {
					if d.Sold && !d.Failed {
						sold++
					}
				}
				in, err := p.StakeLP(next, p.Now+100_000_000)
				require.NoError(t, err)
				jit := next
				next++
				dt := 1 + arg%4000
				// All the sold time's income the window can hold: the streams
				// running now and every sold device idle at the spot price.
				bound := new(big.Rat).Mul(price, big.NewRat(sold*dt, 1))
				bound.Add(bound, new(big.Rat).SetFrac(new(big.Int).Mul(p.Stream, big.NewInt(dt)), ledger.Scale))
				_, err = p.Advance(p.Now + dt)
				require.NoError(t, err)
				f, err := p.Fail(jit, p.Now)
				require.NoError(t, err)
				gain := new(big.Rat).SetInt(new(big.Int).Sub(f.Miner, in))
				// Rounding: the price moves by a uloop per interval over 1/H
				// (I2), worth about a uloop on the attacker's time.
				slack := big.NewRat(2*events+3, 1)
				require.True(t, gain.Cmp(new(big.Rat).Add(bound, slack)) <= 0,
					"I3/I4: a position present %d s gained %s, more than all the sold-time income of its window %s", dt, gain.FloatString(0), bound.FloatString(0))
			case 9: // pay a penalty into a failed sold device's stream
				for _, id := range p.DeviceIDs() {
					if d := p.Devices[id]; d.Failed && d.End > p.Now {
						require.NoError(t, p.FundStream(id, big.NewInt(arg)))
						break
					}
				}
			case 10: // split versus whole: pieces bought at one time cost the whole
				n := 1 + arg%5
				h := 1 + arg%max(1, p.H/(n+1))
				if p.H <= n*h {
					break
				}
				whole, _, err := p.QuoteBuy(n * h)
				require.NoError(t, err)
				q := p.Pool.Clone()
				sum := new(big.Int)
				for range n {
					x, _, err := q.QuoteBuy(h)
					require.NoError(t, err)
					sum.Add(sum, x)
					q.H -= h
				}
				require.True(t, sum.Cmp(whole) >= 0, "pieces %s below the whole %s", sum, whole)
				require.True(t, new(big.Int).Sub(sum, whole).Cmp(big.NewInt(n)) <= 0, "pieces %s beyond rounding of the whole %s", sum, whole)
			case 6: // extend some lease
				if len(leases) > 0 {
					if _, err := p.Extend(leases[int(arg)%len(leases)], 1+arg%300); err == nil {
						trade = true
					}
				}
			}
			checkInvariants(t, p)
			after := p.Price()
			if !trade && before != nil && after != nil {
				diff := new(big.Rat).Sub(after, before)
				diff.Abs(diff)
				require.True(t, diff.Cmp(big.NewRat(events, p.H)) <= 0, "I2: op %d moved the price from %s to %s without a trade", ops[i]%11, before.FloatString(6), after.FloatString(6))
			}
		}
	})
}

func TestRenewAndFail(t *testing.T) {
	p := ledger.New(0, 3, 1000, 10)
	_, err := p.StakeLP(1, 100)
	require.NoError(t, err)
	_, err = p.StakeLP(2, 100)
	require.NoError(t, err)
	in, err := p.Renew(1, 150)
	require.NoError(t, err)
	require.Equal(t, bi(500), in, "50 s more at the spot price 10")
	require.Equal(t, big.NewRat(10, 1), p.Price(), "renewal is price-neutral")
	_, err = p.Renew(1, 150)
	require.ErrorIs(t, err, ledger.ErrBadAmount)
	checkInvariants(t, p)

	// Device 2 fails while leased: the client gets the unreleased escrow
	// back, the miner its unsold time at the spot price plus what it is owed.
	l, _, err := p.BuyLease(2, 40)
	require.NoError(t, err)
	_, err = p.Advance(10)
	require.NoError(t, err)
	priceBefore := p.Price()
	f, err := p.Fail(2, 10) // it passed a challenge just now: nothing to claw back
	require.NoError(t, err)
	released := new(big.Int).Quo(new(big.Int).Mul(l.Price, bi(10)), bi(40))
	require.Equal(t, new(big.Int).Sub(l.Price, released), f.Client)
	require.Zero(t, f.Clawback.Sign())
	require.True(t, f.Miner.Sign() > 0)
	// Its own lease raised the price above its entry price (10): its unsold
	// time comes back at the entry price, and the rise stays in L.
	require.True(t, f.Retained.Sign() > 0, "returned at its entry price")
	require.Equal(t, bi(10*(100-40)), new(big.Int).Sub(f.TimeValue, f.Retained), "60 s unsold after its lease, at 10 uloop/GPU-s")
	require.True(t, p.Price().Cmp(priceBefore) > 0, "what it leaves raises the price")
	require.NotContains(t, p.Devices, uint64(2))
	checkInvariants(t, p)
	_, err = p.Fail(2, 10)
	require.ErrorIs(t, err, ledger.ErrUnknownDevice)
}

// An LP device that fails while serving a lease forfeits to the client the
// revenue released since its last passed challenge (Clawback): the released
// escrow is linear, so the part after the pass is its time share; the rest
// stays the miner's, and no money is created (I5).
func TestFailClawsBackRevenueSinceTheLastPass(t *testing.T) {
	setup := func() (*ledger.Book, *ledger.Lease) {
		p := ledger.New(0, 3, 1000, 10)
		_, err := p.StakeLP(1, 1000)
		require.NoError(t, err)
		_, err = p.StakeLP(2, 1000)
		require.NoError(t, err)
		_, err = p.Advance(100)
		require.NoError(t, err)
		l, _, err := p.BuyLease(1, 400) // [100, 500)
		require.NoError(t, err)
		_, err = p.Advance(300) // 200 s into the lease: half released
		require.NoError(t, err)
		return p, l
	}
	// Honest device: it passed at 300, now; nothing is clawed back.
	p, l := setup()
	honest, err := p.Fail(1, 300)
	require.NoError(t, err)
	require.Zero(t, honest.Clawback.Sign())
	unreleased := new(big.Int).Sub(l.Price, l.Released)
	require.Equal(t, unreleased, honest.Client)
	checkInvariants(t, p)

	// Offline since 150, 50 s into the lease: the revenue released over
	// [150, 300] — 150 of the 200 s — goes back to the client.
	p, l = setup()
	offline, err := p.Fail(1, 150)
	require.NoError(t, err)
	want := new(big.Int).Quo(new(big.Int).Mul(l.Released, bi(150)), bi(200))
	require.Equal(t, want, offline.Clawback)
	require.Equal(t, new(big.Int).Add(unreleased, want), offline.Client)
	require.Equal(t, new(big.Int).Sub(honest.Miner, want), offline.Miner, "the miner keeps only what was released before its last pass")
	checkInvariants(t, p)

	// Last passed before the lease began: everything released is clawed back.
	p, l = setup()
	never, err := p.Fail(1, 20)
	require.NoError(t, err)
	require.Equal(t, l.Released, never.Clawback)
	require.Equal(t, l.Price, never.Client, "the client gets its whole payment back")
	checkInvariants(t, p)

	// An idle device has no lease revenue to claw back.
	idle, err := p.Fail(2, 0)
	require.NoError(t, err)
	require.Zero(t, idle.Clawback.Sign())
	require.Zero(t, idle.Client.Sign())
	checkInvariants(t, p)
}

// Π doubles as the TWAP accumulator: with no trades the TWAP is the spot
// price; across a trade it is the time-weighted mean of the two prices.
func TestTWAP(t *testing.T) {
	p := ledger.New(0, 3, 1000, 10)
	_, err := p.StakeLP(1, 1000)
	require.NoError(t, err)
	_, err = p.StakeLP(2, 1000)
	require.NoError(t, err)
	start := new(big.Int).Set(p.Pi)
	_, err = p.Advance(100)
	require.NoError(t, err)
	twap, err := ledger.TWAP(start, p.Pi, 100)
	require.NoError(t, err)
	require.Equal(t, new(big.Int).Mul(bi(10), ledger.Scale), twap, "no trade: TWAP = spot = 10")

	// Both devices leased: no idle device, the price still accumulates.
	_, _, err = p.BuyLease(1, 100)
	require.NoError(t, err)
	p1 := p.Price()
	_, _, err = p.BuyLease(2, 100)
	require.NoError(t, err)
	p2 := p.Price()
	require.True(t, p2.Cmp(p1) > 0)
	mid := new(big.Int).Set(p.Pi)
	_, err = p.Advance(150)
	require.NoError(t, err)
	twap, err = ledger.TWAP(mid, p.Pi, 50)
	require.NoError(t, err)
	want := new(big.Rat).Mul(p2, new(big.Rat).SetInt(ledger.Scale))
	got := new(big.Rat).SetInt(twap)
	diff := new(big.Rat).Sub(want, got)
	require.True(t, diff.Sign() >= 0 && diff.Cmp(big.NewRat(1, 1)) <= 0, "TWAP over a leased stretch is that stretch's price")
	_, err = ledger.TWAP(mid, p.Pi, 0)
	require.ErrorIs(t, err, ledger.ErrBadAmount)
	checkInvariants(t, p)
}

func TestExtendLease(t *testing.T) {
	p := ledger.New(0, 3, 1000, 10)
	_, err := p.StakeLP(1, 1000)
	require.NoError(t, err)
	_, err = p.StakeLP(2, 1000)
	require.NoError(t, err)
	l, _, err := p.BuyLease(1, 100)
	require.NoError(t, err)
	_, err = p.Advance(50)
	require.NoError(t, err)
	hBefore, priceBefore := p.H, p.Price()
	paid, err := p.Extend(l.ID, 100)
	require.NoError(t, err)
	require.Equal(t, int64(200), l.End)
	require.Equal(t, hBefore-100, p.H, "an extension sells more of the device's time")
	require.True(t, paid.Sign() > 0 && p.Price().Cmp(priceBefore) > 0)
	_, err = p.Extend(l.ID, 900)
	require.ErrorIs(t, err, ledger.ErrNotCovered)
	checkInvariants(t, p)
	_, err = p.Advance(200)
	require.NoError(t, err)
	require.True(t, l.Ended)
	require.Equal(t, l.Price, l.Released, "the whole escrow, extension included, reaches the device")
	_, err = p.Extend(l.ID, 10)
	require.ErrorIs(t, err, ledger.ErrLeaseEnded)
	checkInvariants(t, p)
}

// A sale pays the seller the constant-product quote less the fee and the
// pool owns the time: its idle dissipation and its lease revenue go to the
// LP positions in proportion to their unsold time (I4); a failed sold
// device's time leaves with its uloop to the LPs, and the broken lease's
// refund is owed by the seller's collateral.
func TestSaleIncomeGoesToTheLPs(t *testing.T) {
	p := ledger.New(0, 3, 1000, 10)
	_, err := p.StakeLP(1, 1000) // LP with 1000 s
	require.NoError(t, err)
	_, err = p.StakeLP(2, 3000) // LP with 3000 s
	require.NoError(t, err)
	priceBefore := p.Price()
	got, err := p.Sell(3, 1000)
	require.NoError(t, err)
	// quote ⌊40000·1000/5000⌋ = 8000, fee ⌈8000 × 0.3 %⌉ = 24
	require.Equal(t, bi(8000-24), got)
	require.Equal(t, int64(5000), p.H)
	require.Equal(t, int64(1000), p.HSold)
	require.True(t, p.Price().Cmp(priceBefore) < 0, "a sale lowers the price")
	checkInvariants(t, p)

	// Lease the sold device: its revenue is the LPs', not the seller's.
	l, _, err := p.BuyLease(3, 100)
	require.NoError(t, err)
	_, err = p.Advance(100)
	require.NoError(t, err)
	require.True(t, l.Ended)
	require.Zero(t, p.Devices[3].Owed.Sign(), "the sold device earns nothing")
	owed1 := new(big.Int).Add(p.Devices[1].Owed, p.Accrued(p.Devices[1], nil))
	owed2 := new(big.Int).Add(p.Devices[2].Owed, p.Accrued(p.Devices[2], nil))
	require.True(t, owed2.Cmp(owed1) > 0, "the LP with more unsold time gets more: %s vs %s", owed2, owed1)
	checkInvariants(t, p)

	// Fail the sold device while leased: the client's refund is owed by the
	// collateral; the time leaves H with its uloop shared by the LPs.
	l2, _, err := p.BuyLease(3, 200)
	require.NoError(t, err)
	_, err = p.Advance(150)
	require.NoError(t, err)
	f, err := p.Fail(3, 0) // never passed: still nothing to claw back from a sold device
	require.NoError(t, err)
	require.Zero(t, f.Miner.Sign())
	require.Zero(t, f.Client.Sign())
	require.Zero(t, f.Clawback.Sign())
	require.Equal(t, new(big.Int).Sub(l2.Price, l2.Released), f.Collateral)
	require.Equal(t, int64(0), p.HSold)
	checkInvariants(t, p)
	_, err = p.Advance(3000)
	require.NoError(t, err)
	require.Zero(t, p.H)
	checkInvariants(t, p)
	_, err = p.Sell(4, 4000)
	require.ErrorIs(t, err, ledger.ErrPoolTooShallow, "no LP to own sold time")
}

// The worked example with a sale of docs/pools.md ("Worked example with a
// sale"): two LPs, a seller, an epoch of dissipation, a lease on the sold
// device, and every commitment's end.
func TestWorkedExampleWithSale(t *testing.T) {
	p := ledger.New(0, 3, 1000, 10)
	a, err := p.StakeLP(1, 1000)
	require.NoError(t, err)
	require.Equal(t, bi(10000), a, "1000 s at the reference price 10")
	b, err := p.StakeLP(2, 2000)
	require.NoError(t, err)
	require.Equal(t, bi(20000), b, "2000 s at the spot price 10")
	got, err := p.Sell(3, 1000)
	require.NoError(t, err)
	require.Equal(t, bi(7500-23), got, "⌊30000·1000/4000⌋ = 7500 less the fee ⌈22.5⌉ = 23")
	require.Equal(t, bi(22500), p.L)
	require.Equal(t, big.NewRat(45, 8), p.Price(), "the sale lowers the price to 5.625")

	_, err = p.Advance(100) // an epoch: three idle devices for 100 s
	require.NoError(t, err)
	require.Equal(t, bi(22500-1688), p.L, "⌈22500·300/4000⌉ = 1688 left L")
	require.Equal(t, int64(3700), p.H)
	require.Equal(t, big.NewRat(20812, 3700).FloatString(3), p.Price().FloatString(3), "dissipation keeps the price (5.625)")
	// A and B own the sold device's 100 s: ⌊22500·100/4000⌋ = 562, shared
	// 950 : 1950 by their unsold time at the interval's midpoint t = 50.
	accA := p.Accrued(p.Devices[1], nil)
	accB := p.Accrued(p.Devices[2], nil)
	require.Equal(t, bi(562+184), accA, "A: its own 100 s (562) and 950/2900 of 562 (184)")
	require.Equal(t, bi(562+377), accB, "B: its own 100 s (562) and 1950/2900 of 562 (377)")

	l, paid, err := p.BuyLease(3, 200) // a client leases the sold device
	require.NoError(t, err)
	require.Equal(t, bi(1157), l.Price, "⌈20812·ln(3700/3500)⌉ = ⌈1156.5⌉")
	require.Equal(t, bi(1161), paid, "plus the fee ⌈3.47⌉ = 4")

	paidOut := map[uint64]*big.Int{}
	for _, at := range []int64{300, 1000, 2000} {
		out, err := p.Advance(at)
		require.NoError(t, err)
		for id, v := range out {
			paidOut[id] = v
		}
		checkInvariants(t, p)
	}
	require.Zero(t, paidOut[3].Sign(), "the seller was paid at the sale; the sold time's income went to the LPs")
	require.Equal(t, bi(7310), paidOut[1], "A")
	require.Equal(t, bi(16344), paidOut[2], "B")
	require.Zero(t, p.L.Sign(), "all of L is paid out when all time is gone")
	// In: 30000 injected + 1161 paid by the client = 31161. Out: the seller
	// 7477, A 7310, B 16344; burned 23 + 4; dust 3.
	require.Equal(t, bi(31161), p.In)
	require.Equal(t, bi(7477+7310+16344), p.Out)
	require.Equal(t, bi(27), p.Burned)
	require.Equal(t, bi(3), p.Dust())
	t.Logf("A %s, B %s, seller %s, burned %s, dust %s", paidOut[1], paidOut[2], got, p.Burned, p.Dust())
}

// TestCheckInvariantsFindsABreak: the check the fuzzers and the market
// simulator rely on reports each broken invariant by name.
func TestCheckInvariantsFindsABreak(t *testing.T) {
	p := ledger.New(1_000, 3, 1000, 25)
	_, err := p.StakeLP(1, 1_000+3600)
	require.NoError(t, err)
	_, _, err = p.BuyLease(1, 600)
	require.NoError(t, err)
	require.NoError(t, p.CheckInvariants())

	p.H++
	require.ErrorIs(t, p.CheckInvariants(), ledger.ErrInvariant)
	require.ErrorContains(t, p.CheckInvariants(), "I1")
	p.H--
	p.Burned.Add(p.Burned, bi(1_000_000)) // money leaves that the pool still owes
	require.ErrorContains(t, p.CheckInvariants(), "I5")
}
