package apptesting

import (
	"math/big"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	chaintypes "github.com/loopin-project/loopin/types"
	"github.com/loopin-project/loopin/x/pools/ledger"
	poolstypes "github.com/loopin-project/loopin/x/pools/types"
)

// PoolOf returns the pool of GPU class class in the block being built; it
// fails the test if there is none.
func PoolOf(t testing.TB, c *TestChain, class string) poolstypes.Pool {
	t.Helper()
	p, err := c.PoolsKeeper.PoolByClass(c.Ctx(), class)
	require.NoError(t, err)
	return p
}

// OpenLP commits deviceID to class's pool for d as owner's LP position,
// straight through the x/pools keeper (no stake certificate, no device
// check), and returns the uloop owner injected. It fails the test if the
// keeper refuses.
func OpenLP(t testing.TB, c *TestChain, class string, deviceID uint64, owner sdk.AccAddress, d time.Duration) math.Int {
	t.Helper()
	in, err := c.PoolsKeeper.OpenPosition(c.Ctx(), PoolOf(t, c, class).Id, deviceID, owner, c.Ctx().BlockTime().Add(d), math.NewInt(1<<62))
	require.NoError(t, err)
	return in
}

// CheckPools asserts I1 (each pool's H is the unsold time of its
// positions, accounted to now; likewise its pool-owned time) and I5 (the
// x/pools module account holds at least L + escrow + owed of every pool;
// the rest is rounding dust) over the whole store of the block being built,
// and that every position's lease is active. It scans: tests only.
func CheckPools(t testing.TB, c *TestChain) {
	t.Helper()
	ctx := c.Ctx()
	k := c.PoolsKeeper
	unsold, sold, owed := map[uint64]int64{}, map[uint64]int64{}, new(big.Int)
	lps := map[uint64]*ledger.Pool{}
	require.NoError(t, k.Pools.Walk(ctx, nil, func(id uint64, p poolstypes.Pool) (bool, error) {
		lp := ledger.NewPool(p.AccountedAt.Unix(), 0, 1, big.NewRat(1, 1))
		lp.H, lp.L, lp.Pi, lp.Idle, lp.Escrow = p.UnsoldSeconds.Int64(), p.ReserveUloop.BigInt(), p.PriceTimeIndex.BigInt(), int64(p.IdleDevices), p.EscrowUloop.BigInt()
		lp.HSold, lp.IdleSold = p.SoldSeconds().Int64(), int64(p.IdleSoldDevices)
		lp.J, lp.K = poolstypes.OrZero(p.SoldIncomeIndex).BigInt(), poolstypes.OrZero(p.SoldIncomeTimeIndex).BigInt()
		lp.Stream, lp.Carry, lp.SoldEscrow = p.SoldStream().BigInt(), p.Carry().BigInt(), poolstypes.OrZero(p.SoldEscrowUloop).BigInt()
		_, err := lp.Dissipate(max(lp.Now, ctx.BlockTime().Unix()))
		lps[id] = lp
		return false, err
	}))
	require.NoError(t, k.Positions.Walk(ctx, nil, func(id uint64, pos poolstypes.Position) (bool, error) {
		lp := lps[pos.PoolId]
		end := pos.End.Unix()
		dev := &ledger.Device{ID: id, End: end, Sold: pos.Sold, Lease: pos.LeaseId, Checkpoint: pos.PriceTimeCheckpoint.BigInt(),
			SharedJ: poolstypes.OrZero(pos.SoldIncomeIndexCheckpoint).BigInt(), SharedK: poolstypes.OrZero(pos.SoldIncomeTimeIndexCheckpoint).BigInt(), Owed: pos.OwedUloop.BigInt()}
		var vl *ledger.Lease
		u := end - lp.Now
		if pos.FailureStream != nil {
			u = 0 // a failed sold device holds no time, only its stream (in escrow)
			dev.Failed = true
		}
		if pos.LeaseId != 0 {
			l, err := k.Leases.Get(ctx, pos.LeaseId)
			require.NoError(t, err)
			require.Equal(t, poolstypes.LEASE_STATUS_ACTIVE, l.Status)
			u = end - l.End.Unix()
			vl = &ledger.Lease{ID: l.Id, End: l.End.Unix()}
		}
		unsold[pos.PoolId] += u
		if pos.Sold {
			sold[pos.PoolId] += u
		}
		owed.Add(owed, dev.Owed)
		owed.Add(owed, lp.Accrued(dev, vl))
		return false, nil
	}))
	held := new(big.Int)
	for id, lp := range lps {
		require.Equal(t, unsold[id], lp.H, "I1: pool %d's H is its devices' unsold time", id)
		require.Equal(t, sold[id], lp.HSold, "pool %d's sold time", id)
		held.Add(held, lp.L)
		held.Add(held, lp.Escrow)
	}
	held.Add(held, owed)
	module := c.BankKeeper.GetBalance(ctx, authtypes.NewModuleAddress(poolstypes.ModuleName), chaintypes.BondDenom).Amount.BigInt()
	require.True(t, module.Cmp(held) >= 0, "I5: module holds %s, owes %s", module, held)
}
