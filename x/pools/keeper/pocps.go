package keeper

import (
	"context"

	"github.com/loopin-project/loopin/x/pools/types"
)

// LeaseInfo returns lease id's client (bech32), the device serving it and
// whether it is still active, for x/pocps's "no access" reports
// (MsgReportLease). Errors: ErrLeaseNotFound.
func (k Keeper) LeaseInfo(ctx context.Context, id uint64) (client string, deviceID uint64, active bool, err error) {
	l, err := k.lease(ctx, id)
	if err != nil {
		return "", 0, false, err
	}
	return l.Client, l.DeviceId, l.Status == types.LEASE_STATUS_ACTIVE, nil
}
