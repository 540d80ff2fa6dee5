package pocps

import (
	autocliv1 "cosmossdk.io/api/cosmos/autocli/v1"

	"github.com/loopin-project/loopin/x/pocps/types"
)

// AutoCLIOptions describes the `loopind query pocps` and `loopind tx pocps`
// commands, generated from the Query and Msg services.
func (AppModule) AutoCLIOptions() *autocliv1.ModuleOptions {
	return &autocliv1.ModuleOptions{
		Query: &autocliv1.ServiceCommandDescriptor{
			Service: types.Query_serviceDesc.ServiceName,
			Short:   "Query PoCPS verification: parameters (devices, challenges, scores come with x/pocps)",
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{
					RpcMethod: "Params",
					Use:       "params",
					Short:     "Show the x/pocps parameters: challenge schedule, confirmations and the PoT/PoL/PoP/PoW score constants",
				},
			},
		},
		Tx: &autocliv1.ServiceCommandDescriptor{
			Service: types.Msg_serviceDesc.ServiceName,
			Short:   "Register devices and verifiers, submit challenge results",
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
