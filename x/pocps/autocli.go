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
				{
					RpcMethod:      "Device",
					Use:            "device [device-id]",
					Short:          "Show one registered device: owner, class, key, seal commitment, endpoint, status",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "device_id"}},
				},
				{
					RpcMethod: "Devices",
					Use:       "devices",
					Short:     "List every registered device, or one class's with --gpu-class (paginated: --page-limit, --page-key, --page-reverse)",
					Example:   "loopind q pocps devices\nloopind q pocps devices --gpu-class rtx-4090 --page-limit 50",
				},
				{
					RpcMethod:      "Challenge",
					Use:            "challenge [challenge-id]",
					Short:          "Show one challenge: device, kind, assigned verifier, seed block, deadline, status",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "challenge_id"}},
				},
				{
					RpcMethod:      "ChallengesByDevice",
					Use:            "challenges-by-device [device-id]",
					Short:          "List a device's challenges, oldest first",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "device_id"}},
				},
				{
					RpcMethod:      "PendingChallenges",
					Use:            "pending-challenges [validator-address]",
					Short:          "List the challenges a verifier still has to report (loopinvaloper1…)",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "verifier"}},
				},
				{
					RpcMethod:      "Score",
					Use:            "score [device-id]",
					Short:          "Show a device's PoCPS score: PoT, PoL, PoP, PoW, their product and the inputs",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "device_id"}},
				},
				{
					RpcMethod: "Verifiers",
					Use:       "verifiers",
					Short:     "List the registered verifiers: validator, hot key, endpoint, missed deadlines",
				},
				{
					RpcMethod:      "DevicesByOwner",
					Use:            "devices-by-owner [owner]",
					Short:          "List the devices an address owns",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "owner"}},
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
				{
					RpcMethod: "RegisterDevice",
					Use:       "register-device [gpu-class] [fingerprint] [key-height] [seal] [endpoint]",
					Short:     "Register a sealed GPU (the miner sidecar does this for you)",
					Long: "Registers a device of [gpu-class]. [fingerprint] is the 32-byte SHA-256 of the GPU's identity (hex), " +
						"[key-height] the recent block whose hash the device key was derived from, [seal] the seal commitment as JSON " +
						"({\"params\": {...}, \"layer_roots\": [...]}), [endpoint] the sidecar's host:port. The response carries the device id and key.",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{
						{ProtoField: "gpu_class"}, {ProtoField: "fingerprint"}, {ProtoField: "key_height"}, {ProtoField: "seal"}, {ProtoField: "endpoint"},
					},
				},
				{
					RpcMethod:      "UpdateDevice",
					Use:            "update-device [device-id] [endpoint]",
					Short:          "Change a device's sidecar endpoint and privacy report (--privacy '{\"level\":80}')",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "device_id"}, {ProtoField: "endpoint"}},
				},
				{
					RpcMethod:      "RegisterVerifier",
					Use:            "register-verifier [hot-key-address] [endpoint] [vrf-key-hex]",
					Short:          "Register your validator's verifier sidecar: its hot key, transcript endpoint and VRF key (sign with the validator operator's key)",
					Long:           "vrf-key-hex is what `loopind sidecar verifier vrf-key --dir <the sidecar's dir>` prints: the BLS key the chain checks each challenge's secret against (docs/pocps.md §14).",
					Example:        "loopind tx pocps register-verifier loopin1... 127.0.0.1:9500 $(loopind sidecar verifier vrf-key) --from validator",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "hot_key"}, {ProtoField: "endpoint"}, {ProtoField: "vrf_key"}},
				},
				{
					RpcMethod:      "SubmitSetupResult",
					Use:            "submit-setup-result [challenge-id] [proof-file-or-hex]",
					Short:          "Report a device's setup proof (the verifier sidecar does this; sign with the hot key)",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "challenge_id"}, {ProtoField: "proof"}},
				},
				{
					RpcMethod: "SubmitChallengeResult",
					Use:       "submit-result",
					Short:     "Report a residency/throughput challenge with its proof samples (the verifier sidecar does this)",
				},
				{
					RpcMethod:      "DeregisterDevice",
					Use:            "deregister-device [device-id]",
					Short:          "Remove a device that no stake commits (an unsealed device's registration deposit is burned)",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "device_id"}},
				},
				{
					RpcMethod:      "ReportLease",
					Use:            "report-lease [lease-id]",
					Short:          "Report that your leased device does not serve you: it is challenged now (also: loopind lease report)",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "lease_id"}},
				},
			},
		},
	}
}
