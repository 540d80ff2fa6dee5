package keeper

import (
	"context"

	pocpstypes "github.com/loopin-project/loopin/x/pocps/types"
)

// PocpsHooks returns the x/pocps hooks of x/stake: the failure path.
func (k Keeper) PocpsHooks() pocpstypes.PocpsHooks { return hooks{k} }

type hooks struct{ k Keeper }

// AfterDeviceFailed runs the failure path of the device's certificate
// (FailDevice).
func (h hooks) AfterDeviceFailed(ctx context.Context, deviceID uint64) error {
	return h.k.FailDevice(ctx, deviceID)
}

// AfterDeviceScored implements pocpstypes.PocpsHooks; x/stake does nothing.
func (hooks) AfterDeviceScored(context.Context, uint64) error { return nil }
