package types

import "fmt"

// DefaultGenesis returns the x/rewards genesis state of a new mainnet-like chain.
func DefaultGenesis() *GenesisState {
	return &GenesisState{Params: DefaultParams()}
}

// Validate checks the genesis state; it returns the first error found.
func (gs GenesisState) Validate() error {
	if err := gs.Params.Validate(); err != nil {
		return err
	}
	seen := map[int64]bool{}
	for _, e := range gs.Epochs {
		if e.Epoch < 1 || seen[e.Epoch] {
			return fmt.Errorf("epoch record %d: epochs start at 1 and appear once", e.Epoch)
		}
		seen[e.Epoch] = true
	}
	return nil
}
