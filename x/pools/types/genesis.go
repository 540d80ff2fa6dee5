package types

import "fmt"

// DefaultGenesis returns the x/pools genesis state of a new mainnet-like
// chain: the params and one empty pool per genesis GPU class.
func DefaultGenesis() *GenesisState {
	pools := DefaultPools()
	return &GenesisState{Params: DefaultParams(), Pools: pools, NextPoolId: uint64(len(pools) + 1)}
}

// Validate checks the genesis state: params, pools (valid, unique ids below
// next_pool_id, one per class); it returns the first error found.
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
	return nil
}
