package types

import (
	"fmt"

	"github.com/loopin-project/loopin/proof"
)

// DefaultGenesis returns the x/pocps genesis state of a new mainnet-like chain.
func DefaultGenesis() *GenesisState {
	return &GenesisState{Params: DefaultParams(), NextDeviceId: 1, NextChallengeId: 1}
}

// Validate checks the genesis state: params, devices (unique ids below
// next_device_id, fingerprints unique per owner, valid fields); it returns the first
// error found.
func (gs GenesisState) Validate() error {
	if err := gs.Params.Validate(); err != nil {
		return err
	}
	if n := len(gs.Beacon); n != 0 && n != HashSize {
		return fmt.Errorf("beacon must be empty or %d bytes, got %d", HashSize, n)
	}
	for _, v := range gs.Verifiers {
		if err := proof.ValidateVRFKey(v.VrfKey); err != nil {
			return fmt.Errorf("verifier %s: vrf_key: %w", v.Validator, err)
		}
	}
	ids := make(map[uint64]bool, len(gs.Devices))
	fingerprints := make(map[string]bool, len(gs.Devices))
	for _, d := range gs.Devices {
		if d.Id == 0 || d.Id >= max(gs.NextDeviceId, 1) {
			return fmt.Errorf("device id %d must be in [1, next_device_id = %d)", d.Id, gs.NextDeviceId)
		}
		if ids[d.Id] {
			return fmt.Errorf("duplicate device id %d", d.Id)
		}
		ids[d.Id] = true
		// Fingerprints are unique per owner (the index is (owner, fingerprint)).
		fpKey := d.Owner + "/" + string(d.Fingerprint)
		if len(d.Fingerprint) != FingerprintSize || fingerprints[fpKey] {
			return fmt.Errorf("device %d: fingerprint missing or registered twice by %s", d.Id, d.Owner)
		}
		fingerprints[fpKey] = true
		if !d.Deposit.IsNil() && d.Deposit.IsNegative() {
			return fmt.Errorf("device %d: negative deposit %s", d.Id, d.Deposit)
		}
		if err := ValidateClass(d.GpuClass); err != nil {
			return fmt.Errorf("device %d: %w", d.Id, err)
		}
		if err := d.Seal.Validate(); err != nil {
			return fmt.Errorf("device %d: %w", d.Id, err)
		}
		if d.Status == DEVICE_STATUS_UNSPECIFIED {
			return fmt.Errorf("device %d: status unspecified", d.Id)
		}
	}
	return nil
}
