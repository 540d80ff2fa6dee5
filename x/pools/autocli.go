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
			Short:   "Query the GPU-time pools: parameters (pools, prices, leases come with x/pools)",
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{
					RpcMethod: "Params",
					Use:       "params",
					Short:     "Show the x/pools parameters: exchange fee and lease duration bounds",
				},
				{
					RpcMethod: "Pools",
					Use:       "pools",
					Short:     "List every pool: class, status, reserves H (GPU-s) and L (uloop), W_bench, seal sizes",
				},
				{
					RpcMethod:      "Pool",
					Use:            "pool [id|class]",
					Short:          "Show one pool by id or GPU class (e.g. rtx-4090)",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "pool"}},
				},
			},
		},
		Tx: &autocliv1.ServiceCommandDescriptor{
			Service: types.Msg_serviceDesc.ServiceName,
			Short:   "Trade GPU time in the pools (leases come with x/pools)",
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
			},
		},
	}
}
