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
			Short:   "Query compute stakes: parameters (stakes come with x/stake)",
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{
					RpcMethod: "Params",
					Use:       "params",
					Short:     "Show the x/stake parameters: staking fee, LP and sale durations, collateral and maintenance rate",
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
			},
		},
	}
}
