package types

import "fmt"

// DefaultGenesis returns the x/stake genesis state of a new mainnet-like chain.
func DefaultGenesis() *GenesisState {
	return &GenesisState{Params: DefaultParams(), NextStakeId: 1}
}

// Validate checks the genesis state: params, certificates with unique ids
// below next_stake_id, a known kind and status, a grace only for a sale
// with its release time at or after its end, and at most one certificate
// committing each device (active or in its grace); it returns the first
// error found.
func (gs GenesisState) Validate() error {
	if err := gs.Params.Validate(); err != nil {
		return err
	}
	ids, active := map[uint64]bool{}, map[uint64]bool{}
	for _, s := range gs.Stakes {
		if s.Id == 0 || s.Id >= gs.NextStakeId || ids[s.Id] {
			return fmt.Errorf("stake id %d must be unique and in [1, next_stake_id = %d)", s.Id, gs.NextStakeId)
		}
		ids[s.Id] = true
		if _, ok := StakeKind_name[int32(s.Kind)]; !ok || s.Kind == STAKE_KIND_UNSPECIFIED {
			return fmt.Errorf("stake %d has no valid kind", s.Id)
		}
		if _, ok := StakeStatus_name[int32(s.Status)]; !ok || s.Status == STAKE_STATUS_UNSPECIFIED {
			return fmt.Errorf("stake %d has no valid status", s.Id)
		}
		if s.FeeBurned.IsNil() || s.Injected.IsNil() || s.Collateral.IsNil() || s.Deposit.IsNil() || s.Payout.IsNil() {
			return fmt.Errorf("stake %d: fee_burned, injected, collateral, deposit and payout must be set", s.Id)
		}
		if s.Status == STAKE_STATUS_GRACE && (s.Kind != STAKE_KIND_SALE || s.ReleaseAt.Before(s.End)) {
			return fmt.Errorf("stake %d: only a sale has a grace, and it ends (release_at %s) at or after the sale's end %s", s.Id, s.ReleaseAt, s.End)
		}
		if s.Status == STAKE_STATUS_ACTIVE || s.Status == STAKE_STATUS_GRACE {
			if active[s.DeviceId] {
				return fmt.Errorf("device %d has two active stakes (active or in their grace)", s.DeviceId)
			}
			active[s.DeviceId] = true
		}
	}
	return nil
}
