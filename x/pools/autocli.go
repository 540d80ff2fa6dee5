package pools

import (
	autocliv1 "cosmossdk.io/api/cosmos/autocli/v1"

	"github.com/loopin-project/loopin/x/pools/types"
)

// AutoCLIOptions describes the `loopind query pools` and `loopind tx pools`
// commands, generated from the Query and Msg services.
func (AppModule) AutoCLIOptions() *autocliv1.ModuleOptions {
	return &autocliv1.ModuleOptions{
		Query: &autocliv1.ServiceCommandDescriptor{
			Service: types.Query_serviceDesc.ServiceName,
			Short:   "Query the GPU-time pools: reserves, prices, quotes, leases and capacity",
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{
					RpcMethod: "Params",
					Use:       "params",
					Short:     "Show the x/pools parameters: exchange fee and lease duration bounds",
				},
				{
					RpcMethod: "Pools",
					Use:       "pools",
					Short:     "List every pool's state: class, status, unsold_seconds (H, GPU-s), reserve_uloop (L), devices, indices",
				},
				{
					RpcMethod:      "Pool",
					Use:            "pool [gpu-class]",
					Short:          "Show one pool's state and its GPU-class record (reference price, W_bench, seal sizes, deadlines)",
					Example:        "loopind q pools pool rtx-4090\nloopind q pools pool --pool-id 6",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "gpu_class", Optional: true}},
				},
				{
					RpcMethod:      "SpotPrice",
					Use:            "spot-price [gpu-class]",
					Short:          "Show a pool's spot price reserve_uloop / unsold_seconds in uloop per GPU-second and per GPU-hour",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "gpu_class"}},
				},
				{
					RpcMethod:      "Twap",
					Use:            "twap [gpu-class] [window]",
					Short:          "Show a pool's time-weighted average price over a window such as 24h or 168h (epoch-end snapshots)",
					Example:        "loopind q pools twap rtx-4090 24h",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "gpu_class"}, {ProtoField: "window"}},
				},
				{
					RpcMethod:      "EstimateBuy",
					Use:            "estimate-buy [gpu-class] [duration]",
					Short:          "Quote a lease: price, burned fee, total (use it as --max-uloop-in), price per GPU-hour, price impact, matched device",
					Example:        "loopind q pools estimate-buy rtx-4090 36h\nloopind q pools estimate-buy h100-sxm 168h",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "gpu_class"}, {ProtoField: "duration"}},
				},
				{
					RpcMethod:      "EstimateTerminate",
					Use:            "estimate-terminate [lease-id]",
					Short:          "Quote ending a lease now: refund, burned fee and unused seconds",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "lease_id"}},
				},
				{
					RpcMethod:      "Lease",
					Use:            "lease [lease-id]",
					Short:          "Show a lease: client, device, start, end, escrow, status",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "lease_id"}},
				},
				{
					RpcMethod:      "LeasesByClient",
					Use:            "leases-by-client [address]",
					Short:          "List a client's leases",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "client"}},
				},
				{
					RpcMethod:      "LeasesByDevice",
					Use:            "leases-by-device [device-id]",
					Short:          "List a device's leases",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "device_id"}},
				},
				{
					RpcMethod:      "Capacity",
					Use:            "capacity [gpu-class]",
					Short:          "Show a pool's capacity book: devices committed, idle and leased, unsold GPU-seconds, longest lease buyable now",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "gpu_class"}},
				},
				{
					RpcMethod:      "Position",
					Use:            "position [device-id]",
					Short:          "Show a committed device's position in its pool and what it has earned so far",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "device_id"}},
				},
			},
		},
		Tx: &autocliv1.ServiceCommandDescriptor{
			Service: types.Msg_serviceDesc.ServiceName,
			Short:   "Buy, extend and terminate leases of GPU time",
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
					// Governance; LegacyDec fields, same limitation.
					RpcMethod: "CreatePool",
					Skip:      true,
				},
				{
					RpcMethod:      "SetPoolStatus",
					Use:            "set-pool-status-proposal [pool-id] [status]",
					Short:          "Submit a governance proposal that retires or reactivates a pool",
					Example:        "loopind tx pools set-pool-status-proposal 8 POOL_STATUS_RETIRED --deposit 10000000uloop --title retire --summary ... --from validator",
					GovProposal:    true,
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "pool_id"}, {ProtoField: "status"}},
				},
				{
					RpcMethod: "BuyLease",
					Use:       "buy-lease [gpu-class] [duration] [max-uloop-in]",
					Short:     "Buy exclusive use of one idle device for a duration (36h, 90m, 168h), paying at most max-uloop-in (quote with estimate-buy)",
					Long: "Buy a lease at the pool's constant-product quote plus the exchange fee, which is burned. The lease is matched " +
						"to the idle device with the longest remaining commitment. max-uloop-in is the slippage bound (price + fee); " +
						"--deadline (RFC 3339) refuses execution after that block time.",
					Example:        "loopind q pools estimate-buy rtx-4090 2h\nloopind tx pools buy-lease rtx-4090 2h 150000 --from client",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "gpu_class"}, {ProtoField: "duration"}, {ProtoField: "max_uloop_in"}},
				},
				{
					RpcMethod:      "ExtendLease",
					Use:            "extend-lease [lease-id] [duration] [max-uloop-in]",
					Short:          "Buy more time on a lease's device, paying at most max-uloop-in",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "lease_id"}, {ProtoField: "duration"}, {ProtoField: "max_uloop_in"}},
				},
				{
					RpcMethod:      "TerminateLease",
					Use:            "terminate-lease [lease-id] [min-refund]",
					Short:          "End a lease now; the unreleased escrow less the exchange fee is refunded (quote with estimate-terminate)",
					Example:        "loopind q pools estimate-terminate 1\nloopind tx pools terminate-lease 1 0 --from client",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "lease_id"}, {ProtoField: "min_refund"}},
				},
			},
		},
	}
}
