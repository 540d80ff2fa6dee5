package keeper

import (
	"context"

	"cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/loopin-project/loopin/x/pocps/types"
)

// DeviceScore computes a device's PoCPS score at the current block time:
// t from its sealing (0 unless sealed), P from its privacy report, W from
// its moving average against its class's W_bench, and PoL from the loyalty
// keeper. W_bench is the class pool's.
func (k Keeper) DeviceScore(ctx context.Context, deviceID uint64) (types.Score, types.ScoreInputs, error) {
	device, err := k.Devices.Get(ctx, deviceID)
	if err != nil {
		return types.Score{}, types.ScoreInputs{}, err
	}
	params, err := k.Params.Get(ctx)
	if err != nil {
		return types.Score{}, types.ScoreInputs{}, err
	}
	in := types.ScoreInputs{Privacy: device.Privacy.Level, W: device.W, CMinted: math.ZeroInt(), CHeld: math.ZeroInt()}
	if in.W.IsNil() {
		in.W = math.ZeroInt()
	}
	if device.Status == types.DEVICE_STATUS_SEALED && !device.SealedAt.IsZero() {
		if t := sdk.UnwrapSDKContext(ctx).BlockTime().Sub(device.SealedAt); t > 0 {
			in.TimeInProtocol = t
		}
	}
	if _, _, in.WBench, err = k.poolsKeeper.ClassInfo(ctx, device.GpuClass); err != nil {
		return types.Score{}, in, err
	}
	if loyalty := k.loyalty; loyalty != nil {
		owner, err := k.accountKeeper.AddressCodec().StringToBytes(device.Owner)
		if err != nil {
			return types.Score{}, in, err
		}
		if in.CMinted, err = loyalty.Minted(ctx, owner); err != nil {
			return types.Score{}, in, err
		}
		if in.CHeld, err = loyalty.Held(ctx, owner); err != nil {
			return types.Score{}, in, err
		}
	}
	score, err := params.Score(in)
	return score, in, err
}
