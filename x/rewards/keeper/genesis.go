package keeper

import (
	"context"
	"errors"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/loopin-project/loopin/x/rewards/types"
)

// InitGenesis validates gs and writes it to the store.
func (k Keeper) InitGenesis(ctx context.Context, gs types.GenesisState) error {
	if err := gs.Validate(); err != nil {
		return err
	}
	if err := k.Params.Set(ctx, gs.Params); err != nil {
		return err
	}
	// x/stake and x/epochs are initialised before x/rewards (app genesis
	// order): β < γ is checked across the two modules here.
	sp, err := k.stakeKeeper.GetParams(ctx)
	if err != nil {
		return err
	}
	if err := k.checkBalance(ctx, gs.Params, sp.MaintenanceRate); err != nil {
		return err
	}
	for _, e := range gs.Epochs {
		if err := k.Epochs.Set(ctx, e.Epoch, e); err != nil {
			return err
		}
	}
	for _, a := range gs.Accounts {
		addr, err := k.accountKeeper.AddressCodec().StringToBytes(a.Address)
		if err != nil {
			return err
		}
		if a.Pending.IsPositive() {
			if err := k.Pending.Set(ctx, addr, a.Pending); err != nil {
				return err
			}
		}
		if a.Minted.IsPositive() {
			if err := k.Minted.Set(ctx, addr, a.Minted); err != nil {
				return err
			}
		}
	}
	for _, gst := range gs.Streams {
		if err := k.Streams.Set(ctx, gst.Stream, gst.State); err != nil {
			return err
		}
		for _, p := range gst.Periods {
			if err := k.Periods.Set(ctx, collections.Join(gst.Stream, p.Period), p.State); err != nil {
				return err
			}
		}
		for _, a := range gst.Accounts {
			if err := k.RewardAccounts.Set(ctx, collections.Join(gst.Stream, a.Id), a.State); err != nil {
				return err
			}
			// PeriodRefs is derived from the accounts.
			if err := k.ref(ctx, gst.Stream, a.State.SincePeriod); err != nil {
				return err
			}
			if a.State.Ended {
				if err := k.Ended.Set(ctx, collections.Join3(gst.Stream, a.State.SincePeriod, a.Id)); err != nil {
					return err
				}
			}
		}
		for _, l := range gst.EndedLeases {
			if err := k.EndedLeases.Set(ctx, l.Id, l.Start); err != nil {
				return err
			}
		}
	}
	return nil
}

// ExportGenesis reads the module state back into a GenesisState that
// InitGenesis accepts.
func (k Keeper) ExportGenesis(ctx context.Context) (*types.GenesisState, error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	gs := &types.GenesisState{Params: params}
	if err := k.Epochs.Walk(ctx, nil, func(_ int64, e types.EpochEmission) (bool, error) {
		gs.Epochs = append(gs.Epochs, e)
		return false, nil
	}); err != nil {
		return nil, err
	}
	// Every address with a mint history; pending where it has some.
	err = k.Minted.Walk(ctx, nil, func(addr sdk.AccAddress, minted math.Int) (bool, error) {
		pending, err := k.Pending.Get(ctx, addr)
		if errors.Is(err, collections.ErrNotFound) {
			pending = math.ZeroInt()
		} else if err != nil {
			return true, err
		}
		s, err := k.accountKeeper.AddressCodec().BytesToString(addr)
		if err != nil {
			return true, err
		}
		gs.Accounts = append(gs.Accounts, types.AccountRewards{Address: s, Pending: pending, Minted: minted})
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	err = k.Streams.Walk(ctx, nil, func(id uint32, st types.Stream) (bool, error) {
		gst := types.GenesisStream{Stream: id, State: st}
		if err := k.Periods.Walk(ctx, collections.NewPrefixedPairRange[uint32, uint64](id), func(key collections.Pair[uint32, uint64], p types.Period) (bool, error) {
			gst.Periods = append(gst.Periods, types.GenesisPeriod{Period: key.K2(), State: p})
			return false, nil
		}); err != nil {
			return true, err
		}
		if err := k.RewardAccounts.Walk(ctx, collections.NewPrefixedPairRange[uint32, uint64](id), func(key collections.Pair[uint32, uint64], a types.RewardAccount) (bool, error) {
			gst.Accounts = append(gst.Accounts, types.GenesisRewardAccount{Id: key.K2(), State: a})
			return false, nil
		}); err != nil {
			return true, err
		}
		if id == types.StreamClients {
			if err := k.EndedLeases.Walk(ctx, nil, func(lease uint64, start int64) (bool, error) {
				gst.EndedLeases = append(gst.EndedLeases, types.GenesisEndedLease{Id: lease, Start: start})
				return false, nil
			}); err != nil {
				return true, err
			}
		}
		gs.Streams = append(gs.Streams, gst)
		return false, nil
	})
	return gs, err
}
