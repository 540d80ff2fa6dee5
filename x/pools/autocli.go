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
					RpcMethod: "PriceHistory",
					Use:       "price-history [gpu-class] [window]",
					Short:     "Show a pool's average price per GPU-hour over consecutive intervals of a window such as 24h (--points, default 100)",
					Long: "Split the window ending now into --points equal intervals (1 to 1000) and show the time-weighted average price " +
						"of each in uloop per GPU-hour, oldest first, read from the epoch-end snapshots of the price-time index: a " +
						"boundary is the latest snapshot at or before it, so intervals are at least an epoch long and may be fewer " +
						"than --points. The window is at most 720h, the snapshots kept.",
					Example:        "loopind q pools price-history rtx-4090 24h\nloopind q pools price-history h100-sxm 168h --points 28",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "gpu_class"}, {ProtoField: "window"}},
				},
				{
					RpcMethod: "EstimateBuy",
					Use:       "estimate-buy [gpu-class] [duration]",
					Short:     "Quote a lease: price, burned fee, total (use it as --max-uloop-in), price per GPU-hour, price impact, matched device",
					Long: "Quote what `tx pools buy-lease` with the same arguments would do in the current block: the device it would be on, " +
						"the constant-product price, the exchange fee burned on top of it, their total (the least max-uloop-in that buys it), " +
						"the total per GPU-hour and the price impact (spot price after over before, minus 1). --device and " +
						"--min-commitment-end are buy-lease's: the quote fails as the purchase would when that device is not in the pool, " +
						"not idle, or its commitment does not reach the lease's end or min-commitment-end.",
					Example: "loopind q pools estimate-buy rtx-4090 36h\nloopind q pools estimate-buy h100-sxm 168h --device 12\n" +
						"loopind q pools estimate-buy rtx-4090 36h --min-commitment-end 2027-02-01T00:00:00Z",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "gpu_class"}, {ProtoField: "duration"}},
					FlagOptions:    buyLeaseFlags(),
				},
				{
					RpcMethod: "EstimateBuyMaxImpact",
					Use:       "estimate-buy-max-impact [gpu-class] [max-price-impact]",
					Short:     "Quote the longest lease that raises the spot price by at most max-price-impact (a fraction: 0.01 is 1 %)",
					Long: "A purchase of h GPU-seconds leaves the pool's reserve L and takes h from its unsold time H, so it raises the spot " +
						"price L/H by h/(H−h). This quotes the longest whole-second lease whose rise is at most max-price-impact, within " +
						"[min_lease_duration, max_lease_duration] and the longest remaining commitment of an idle device (a lease is on " +
						"one device): its seconds, the device buy-lease would be on, price, fee, total, total per GPU-hour, the price impact, " +
						"and the bound that stopped it (limit). It fails when even min_lease_duration moves the price by more. Buy it " +
						"with `buy-lease [gpu-class] [seconds]s [total] --device [device-id]`.",
					Example:        "loopind q pools estimate-buy-max-impact rtx-4090 0.01",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "gpu_class"}, {ProtoField: "max_price_impact"}},
				},
				{
					RpcMethod: "EstimateSell",
					Use:       "estimate-sell [gpu-class] [duration]",
					Short:     "Quote selling device time into a pool (tx stake sell): quote, burned fee, proceeds, per GPU-hour, price impact",
					Long: "Quote what selling duration of a device's time into the pool would pay in the current block: the constant-product " +
						"quote out of the pool's reserve, the exchange fee burned from it, the proceeds the seller receives (use them as " +
						"sell's min-uloop-out), the proceeds per GPU-hour and the price impact (spot price after over before, minus 1: " +
						"negative, a sale lowers the price). `tx stake sell` sells days whole days of x/stake's day_length (`q stake params`): " +
						"give days × day_length, e.g. 48h for 2 days of 24 h. The sale's own checks (sell_min_days, sell_max_days, the " +
						"device, the collateral it locks) are x/stake's and not quoted here; a pool with no LP position takes no sale.",
					Example:        "loopind q pools estimate-sell rtx-4090 48h\nloopind q pools estimate-sell h100-sxm 168h",
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
					RpcMethod: "AllLeases",
					Use:       "leases",
					Short:     "List every lease kept (ended ones until lease_retention), by id; --page-reverse for the newest first",
					Example:   "loopind q pools leases --page-reverse --page-limit 10",
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
						"to the idle device with the longest remaining commitment, preferring one that passed a challenge recently. " +
						"max-uloop-in is the slippage bound (price + fee); --deadline (RFC 3339) refuses execution after that block time. " +
						"Matching happens when the transaction executes: a purchase earlier in the block can take the device you were " +
						"quoted and move yours to another. --device (the device estimate-buy named) makes the purchase on that device " +
						"or fail; --min-commitment-end (RFC 3339) makes it fail rather than land on a device whose commitment ends " +
						"before that time. A refused purchase changes nothing.",
					Example: "loopind q pools estimate-buy rtx-4090 2h\nloopind tx pools buy-lease rtx-4090 2h 150000 --from client\n" +
						"loopind tx pools buy-lease rtx-4090 2h 150000 --device 7 --from client\n" +
						"loopind tx pools buy-lease rtx-4090 2h 150000 --min-commitment-end 2027-02-01T00:00:00Z --from client",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "gpu_class"}, {ProtoField: "duration"}, {ProtoField: "max_uloop_in"}},
					FlagOptions:    buyLeaseFlags(),
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

// buyLeaseFlags names buy-lease's and estimate-buy's optional device
// fields: --device and --min-commitment-end. A new map for each command:
// autocli adds entries of its own (the signer's flag) to a Msg's map.
func buyLeaseFlags() map[string]*autocliv1.FlagOptions {
	return map[string]*autocliv1.FlagOptions{
		"device_id": {
			Name:  "device",
			Usage: "the device id the lease must be on (as estimate-buy names it); the purchase fails, changing nothing, unless that device is in the pool, idle and committed past the lease's end (0: any device)",
		},
		"min_commitment_end": {
			Name:  "min-commitment-end",
			Usage: "RFC 3339 time, e.g. 2027-02-01T00:00:00Z: refuse, changing nothing, a device whose commitment ends before it (matching still picks the device; this never moves the lease to another)",
		},
	}
}
