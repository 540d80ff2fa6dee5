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
	streams := map[uint32]bool{}
	for _, st := range gs.Streams {
		if st.Stream != StreamMiners && st.Stream != StreamClients || streams[st.Stream] {
			return fmt.Errorf("stream %d: streams are %d (miners) and %d (clients), once each", st.Stream, StreamMiners, StreamClients)
		}
		streams[st.Stream] = true
		if st.State.Weight.IsNil() || st.State.Accumulated.IsNil() || st.State.Cumulative.IsNil() || st.State.Weight.IsNegative() {
			return fmt.Errorf("stream %d: weight, accumulated and cumulative must be set, weight ≥ 0", st.Stream)
		}
		for _, p := range st.Periods {
			if p.Period >= st.State.Period || p.State.Rate.IsNil() || p.State.Cumulative.IsNil() {
				return fmt.Errorf("stream %d period %d: closed periods precede the open one and carry a rate", st.Stream, p.Period)
			}
		}
		for _, a := range st.Accounts {
			if a.State.Weight.IsNil() || a.State.Pending.IsNil() || a.State.SincePeriod > st.State.Period {
				return fmt.Errorf("stream %d account %d: weight and pending must be set, since_period ≤ the open period", st.Stream, a.Id)
			}
		}
	}
	return nil
}
