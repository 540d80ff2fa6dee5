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
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{
					RpcMethod:      "UpdateParams",
					Use:            "update-params-proposal [params]",
					Short:          "Submit a governance proposal that replaces all x/stake parameters",
					Long:           "Submits a gov proposal carrying MsgUpdateParams. [params] is the full parameter set as JSON, as `loopind q stake params -o json` prints it.",
					Example:        `loopind tx stake update-params-proposal '{"staking_fee":"1000000","min_lp_duration":"604800s","sell_min_days":1,"sell_max_days":7,"collateral_multiplier":100,"maintenance_rate":"0.001","day_length":"86400s"}' --from validator`,
					GovProposal:    true,
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "params"}},
				},
			},
		},
	}
}
