package types

// DefaultGenesis returns the x/stake genesis state of a new mainnet-like chain.
func DefaultGenesis() *GenesisState {
	return &GenesisState{Params: DefaultParams()}
}

// Validate checks the genesis state; it returns the first error found.
func (gs GenesisState) Validate() error {
	return gs.Params.Validate()
}
