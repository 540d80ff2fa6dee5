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
		if !st.State.Withheld.IsNil() && st.State.Withheld.IsNegative() {
			return fmt.Errorf("stream %d: withheld must not be negative", st.Stream)
		}
		periods := map[uint64]bool{}
		for _, p := range st.Periods {
			if p.Period >= st.State.Period || p.State.Rate.IsNil() || p.State.Cumulative.IsNil() || periods[p.Period] {
				return fmt.Errorf("stream %d period %d: closed periods precede the open one, appear once and carry a rate", st.Stream, p.Period)
			}
			periods[p.Period] = true
		}
		for _, a := range st.Accounts {
			if a.State.Weight.IsNil() || a.State.Pending.IsNil() || a.State.SincePeriod > st.State.Period {
				return fmt.Errorf("stream %d account %d: weight and pending must be set, since_period ≤ the open period", st.Stream, a.Id)
			}
			// Settling reads the period the account was last settled in.
			if a.State.SincePeriod < st.State.Period && !periods[a.State.SincePeriod] {
				return fmt.Errorf("stream %d account %d: its period %d is missing", st.Stream, a.Id, a.State.SincePeriod)
			}
			if a.State.Capped && (a.State.CapLeft.IsNil() || a.State.CapLeft.IsNegative()) {
				return fmt.Errorf("stream %d account %d: a capped account needs cap_left ≥ 0", st.Stream, a.Id)
			}
		}
		if len(st.EndedLeases) > 0 && st.Stream != StreamClients {
			return fmt.Errorf("stream %d: only the clients' stream (%d) has ended leases", st.Stream, StreamClients)
		}
		leases := map[uint64]bool{}
		for _, l := range st.EndedLeases {
			if l.Id < max(st.State.LeaseCursor, 1) || leases[l.Id] {
				return fmt.Errorf("stream %d ended lease %d: ended leases lie at or above the lease cursor %d, once each", st.Stream, l.Id, st.State.LeaseCursor)
			}
			leases[l.Id] = true
		}
	}
	return nil
}
