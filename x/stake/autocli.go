package stake

import (
	autocliv1 "cosmossdk.io/api/cosmos/autocli/v1"

	"github.com/loopin-project/loopin/x/stake/types"
)

// AutoCLIOptions describes the `loopind query stake` and `loopind tx stake`
// commands, generated from the Query and Msg services.
func (AppModule) AutoCLIOptions() *autocliv1.ModuleOptions {
	return &autocliv1.ModuleOptions{
		Query: &autocliv1.ServiceCommandDescriptor{
			Service: types.Query_serviceDesc.ServiceName,
			Short:   "Query compute stakes: certificates by id, owner and device, and the parameters",
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{
					RpcMethod: "Params",
					Use:       "params",
					Short:     "Show the x/stake parameters: staking fee, LP and sale durations, collateral and maintenance rate",
				},
				{
					RpcMethod:      "Stake",
					Use:            "stake [stake-id]",
					Short:          "Show a stake certificate: owner, device, pool, kind, start, end, burned fee, injection, status",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "stake_id"}},
				},
				{
					RpcMethod: "Stakes",
					Use:       "stakes",
					Short:     "List every stake certificate",
				},
				{
					RpcMethod:      "StakesByOwner",
					Use:            "stakes-by-owner [address]",
					Short:          "List an owner's stake certificates",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "owner"}},
				},
				{
					RpcMethod:      "StakesByDevice",
					Use:            "stakes-by-device [device-id]",
					Short:          "List a device's stake certificates",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "device_id"}},
				},
			},
		},
		Tx: &autocliv1.ServiceCommandDescriptor{
			Service: types.Msg_serviceDesc.ServiceName,
			Short:   "Commit devices to pools as LP stakes or sales",
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{
					// Governance only. The generated command cannot encode
					// LegacyDec fields (cosmos-sdk#26673), so parameter changes
					// go through `loopind tx gov submit-proposal`; see
					// docs/governance.md.
					RpcMethod: "UpdateParams",
					Skip:      true,
				},
				{
					RpcMethod: "StakeLP",
					Use:       "lp [device-id] [duration] [max-uloop-in]",
					Short:     "Commit a sealed device to its class's pool as a liquidity provider for a duration (168h, 36h; Go duration syntax)",
					Long: "Burns the staking fee, then adds the device's time to its class's pool with the matching uloop at the " +
						"spot price (the reference price in an empty pool), at most max-uloop-in. The device must be registered, " +
						"sealed and not committed; the duration at least min_lp_duration.",
					Example:        "loopind tx stake lp 1 168h 5000000000 --from miner",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "device_id"}, {ProtoField: "duration"}, {ProtoField: "max_uloop_in"}},
				},
				{
					RpcMethod: "SellCompute",
					Use:       "sell [device-id] [days] [min-uloop-out]",
					Short:     "Sell whole days of a sealed device into its class's pool, locking collateral and a maintenance deposit",
					Long: "Burns the staking fee, locks collateral_multiplier × the spot value of the sold time and a maintenance " +
						"deposit of maintenance_rate per GPU-second, and sells the days (of day_length) into the pool at the " +
						"constant-product quote less the burned exchange fee, at least min-uloop-out. Collateral and deposit come " +
						"back sale_grace_period after the end (the device stays committed and is challenged once more until " +
						"then) if no verification failed.",
					Example:        "loopind tx stake sell 1 3 0 --from miner",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "device_id"}, {ProtoField: "days"}, {ProtoField: "min_uloop_out"}},
				},
				{
					RpcMethod:      "RenewStake",
					Use:            "renew [stake-id] [epochs] [max-uloop-in]",
					Short:          "Extend an active LP stake by whole epochs before its end, adding the matching uloop",
					Example:        "loopind tx stake renew 1 24 1000000000 --from miner",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "stake_id"}, {ProtoField: "epochs"}, {ProtoField: "max_uloop_in"}},
				},
			},
		},
	}
}
