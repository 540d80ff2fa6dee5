package types

import "fmt"

// DefaultGenesis returns the x/pools genesis state of a new mainnet-like
// chain: the params and one empty pool per genesis GPU class.
func DefaultGenesis() *GenesisState {
	pools, classes := DefaultPools()
	return &GenesisState{Params: DefaultParams(), Pools: pools, GpuClasses: classes, NextPoolId: uint64(len(pools) + 1), NextLeaseId: 1}
}

// Validate checks the genesis state: params, pools (valid, unique ids below
// next_pool_id, one per class, each with one valid GpuClass record of the
// same id and name); it returns the first error found.
func (gs GenesisState) Validate() error {
	if err := gs.Params.Validate(); err != nil {
		return err
	}
	ids, classes := map[uint64]bool{}, map[string]bool{}
	for _, p := range gs.Pools {
		if err := p.Validate(); err != nil {
			return err
		}
		if p.Id == 0 || p.Id >= gs.NextPoolId || ids[p.Id] {
			return fmt.Errorf("pool id %d must be unique and in [1, next_pool_id = %d)", p.Id, gs.NextPoolId)
		}
		if classes[p.GpuClass] {
			return fmt.Errorf("two pools for class %q", p.GpuClass)
		}
		ids[p.Id], classes[p.GpuClass] = true, true
	}
	if len(gs.GpuClasses) != len(gs.Pools) {
		return fmt.Errorf("%d gpu_classes for %d pools: each pool needs its class record", len(gs.GpuClasses), len(gs.Pools))
	}
	named := map[uint64]string{}
	for _, p := range gs.Pools {
		named[p.Id] = p.GpuClass
	}
	seen := map[uint64]bool{}
	for _, c := range gs.GpuClasses {
		if err := c.Validate(); err != nil {
			return err
		}
		if name, ok := named[c.PoolId]; !ok || name != c.Name || seen[c.PoolId] {
			return fmt.Errorf("gpu class %q names pool %d, which is not its pool (or has two records)", c.Name, c.PoolId)
		}
		seen[c.PoolId] = true
	}
	devices := map[uint64]Position{}
	for _, pos := range gs.Positions {
		if !ids[pos.PoolId] {
			return fmt.Errorf("position of device %d names unknown pool %d", pos.DeviceId, pos.PoolId)
		}
		if _, dup := devices[pos.DeviceId]; dup {
			return fmt.Errorf("device %d has two positions", pos.DeviceId)
		}
		if pos.PriceTimeCheckpoint.IsNil() || pos.OwedUloop.IsNil() || pos.InjectedUloop.IsNil() || pos.OwedUloop.IsNegative() {
			return fmt.Errorf("position of device %d: checkpoint, owed and injected must be set, owed ≥ 0", pos.DeviceId)
		}
		if f := pos.FailureStream; f != nil && (!pos.Sold || pos.LeaseId != 0 || f.Rate.IsNil() || f.Left.IsNil() || f.Rate.IsNegative() || f.Left.IsNegative()) {
			return fmt.Errorf("position of device %d: a failure stream is a sold device's, serving no lease, with rate and left ≥ 0", pos.DeviceId)
		}
		devices[pos.DeviceId] = pos
	}
	leases := map[uint64]bool{}
	for _, l := range gs.Leases {
		if l.Id == 0 || l.Id >= gs.NextLeaseId || leases[l.Id] {
			return fmt.Errorf("lease id %d must be unique and in [1, next_lease_id = %d)", l.Id, gs.NextLeaseId)
		}
		leases[l.Id] = true
		if l.Price.IsNil() || l.Released.IsNil() || l.Fees.IsNil() || l.Refund.IsNil() || l.Released.GT(l.Price) ||
			(l.ReleaseRate != nil && (l.ReleaseRate.IsNil() || l.ReleaseRate.IsNegative())) {
			return fmt.Errorf("lease %d: price, released, fees and refund must be set, released ≤ price", l.Id)
		}
		if l.Status == LEASE_STATUS_ACTIVE {
			pos, ok := devices[l.DeviceId]
			if !ok || pos.LeaseId != l.Id {
				return fmt.Errorf("active lease %d: device %d's position does not serve it", l.Id, l.DeviceId)
			}
			if pos.Sold && l.Released.LT(l.Price) && (l.ReleaseRate == nil || !l.ReleaseRate.IsPositive()) {
				return fmt.Errorf("active lease %d on sold device %d: its escrow must stream to the LP positions (release_rate > 0)", l.Id, l.DeviceId)
			}
		}
	}
	for _, pos := range gs.Positions {
		if pos.LeaseId != 0 && !leases[pos.LeaseId] {
			return fmt.Errorf("position of device %d serves unknown lease %d", pos.DeviceId, pos.LeaseId)
		}
	}
	for _, s := range gs.Snapshots {
		if !ids[s.PoolId] || s.PriceTimeIndex.IsNil() {
			return fmt.Errorf("snapshot of pool %d at %s: unknown pool or no Π", s.PoolId, s.Time)
		}
	}
	return nil
}
