package keeper_test

import (
	"fmt"
	"testing"
	"time"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"

	"github.com/loopin-project/loopin/app/apptesting"
	"github.com/loopin-project/loopin/proof"
	chaintypes "github.com/loopin-project/loopin/types"
	pocpstypes "github.com/loopin-project/loopin/x/pocps/types"
)

// BenchmarkEpochChallenges measures the x/pocps epoch-end hook with 100
// devices due, among 1k, 10k and 100k sealed devices: the cost must follow
// the devices due, not the devices registered (flat across sizes).
func BenchmarkEpochChallenges(b *testing.B) {
	const due = 100
	for _, total := range []int{1_000, 10_000, 100_000} {
		b.Run(fmt.Sprintf("devices=%d", total), func(b *testing.B) {
			c := apptesting.Setup(b)
			ctx := c.Ctx()
			benchVerifier(b, c)
			commit := pocpstypes.SealCommitment{Params: pocpstypes.SealParamsFromProof(proof.TinyParams())}
			for range proof.TinyParams().Layers {
				commit.LayerRoots = append(commit.LayerRoots, make([]byte, 32))
			}
			for i := 1; i <= total; i++ {
				fp := make([]byte, 32)
				fp[0], fp[1], fp[2] = byte(i), byte(i>>8), byte(i>>16)
				d := pocpstypes.Device{
					Id: uint64(i), Owner: c.Funded.String(), GpuClass: "rtx-4090", Fingerprint: fp, Key: make([]byte, 32),
					Seal: commit, Endpoint: "d:1", Status: pocpstypes.DEVICE_STATUS_SEALED, W: math.ZeroInt(),
				}
				if err := c.PocpsKeeper.Devices.Set(ctx, d.Id, d); err != nil {
					b.Fatal(err)
				}
				epoch := int64(2) // everyone else is due later
				if i <= due {
					epoch = 1
				}
				if err := c.PocpsKeeper.Schedule.Set(ctx, collections.Join(epoch, d.Id)); err != nil {
					b.Fatal(err)
				}
			}
			c.NextBlock(b, time.Second) // commit: measure against the stored state, not a write cache
			ctx = c.Ctx()
			hooks := c.PocpsKeeper.EpochHooks()
			b.ResetTimer()
			for range b.N {
				cache, _ := ctx.CacheContext() // discard: every run sees the same queue
				if err := hooks.AfterEpochEnd(cache, chaintypes.EpochIdentifier, 1); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/due, "ns/due-device")
		})
	}
}

func benchVerifier(b *testing.B, c *apptesting.TestChain) string {
	b.Helper()
	vals, err := c.StakingKeeper.GetAllValidators(c.Ctx())
	if err != nil || len(vals) != 1 {
		b.Fatal("want one validator")
	}
	valBz, err := c.StakingKeeper.ValidatorAddressCodec().StringToBytes(vals[0].OperatorAddress)
	if err != nil {
		b.Fatal(err)
	}
	hot := make([]byte, 20)
	hot[0] = 7
	hotStr, _ := c.AccountKeeper.AddressCodec().BytesToString(hot)
	if err := c.PocpsKeeper.Verifiers.Set(c.Ctx(), valBz, pocpstypes.Verifier{Validator: vals[0].OperatorAddress, HotKey: hotStr, Endpoint: "v:1", VrfKey: apptesting.TestVRFKey(hot).PublicKey()}); err != nil {
		b.Fatal(err)
	}
	return vals[0].OperatorAddress
}

// BenchmarkChallengeResult measures MsgSubmitChallengeResult (a pass with
// two walks and two GEMM rows re-checked on chain) for one device among
// 1k, 10k and 100k: the cost is the re-check, whatever the device count.
func BenchmarkChallengeResult(b *testing.B) {
	for _, total := range []int{1_000, 10_000, 100_000} {
		b.Run(fmt.Sprintf("devices=%d", total), func(b *testing.B) {
			c := apptesting.Setup(b, apptesting.ShortEpochs(2))
			c.NextBlock(b, time.Second)
			hot := apptesting.WithVerifier(b, c)
			sealing, id := apptesting.SealedDevice(b, c, hot)
			commit := pocpstypes.SealCommitment{Params: pocpstypes.SealParamsFromProof(proof.TinyParams())}
			for range proof.TinyParams().Layers {
				commit.LayerRoots = append(commit.LayerRoots, make([]byte, 32))
			}
			ctx := c.Ctx()
			for i := 1; i <= total; i++ {
				fp := make([]byte, 32)
				fp[0], fp[1], fp[2], fp[3] = byte(i), byte(i>>8), byte(i>>16), 0xee
				d := pocpstypes.Device{
					Id: id + uint64(i), Owner: c.Funded.String(), GpuClass: "rtx-4090", Fingerprint: fp, Key: make([]byte, 32),
					Seal: commit, Endpoint: "d:1", Status: pocpstypes.DEVICE_STATUS_UNSEALED, W: math.ZeroInt(),
				}
				if err := c.PocpsKeeper.Devices.Set(ctx, d.Id, d); err != nil {
					b.Fatal(err)
				}
			}
			ch := apptesting.NextResidencyChallenge(b, c, id)
			msg := apptesting.Answer(b, c, sealing, hot, ch)
			b.ResetTimer()
			for range b.N {
				cache, _ := c.Ctx().CacheContext()
				if _, err := apptesting.Deliver(c, cache, msg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
