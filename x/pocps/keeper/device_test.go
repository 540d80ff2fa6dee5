package keeper_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/loopin-project/loopin/app"
	"github.com/loopin-project/loopin/app/apptesting"
	"github.com/loopin-project/loopin/proof"
	pocpskeeper "github.com/loopin-project/loopin/x/pocps/keeper"
	pocpstypes "github.com/loopin-project/loopin/x/pocps/types"
)

func TestRegisterDeviceDerivesTheMinersKey(t *testing.T) {
	c := apptesting.Setup(t)
	apptesting.WithVerifier(t, c)
	for range 3 {
		c.NextBlock(t, time.Second)
	}
	keyHeight := c.LastBlockHeight() - 1
	fp := apptesting.Fingerprint("gpu-0")
	sealing, commit := apptesting.SealFor(t, c, c.Funded, fp, keyHeight)

	res, err := apptesting.Deliver(c, c.Ctx(), apptesting.RegisterMsg(c.Funded, fp, keyHeight, commit))
	require.NoError(t, err)
	var resp pocpstypes.MsgRegisterDeviceResponse
	require.NoError(t, c.AppCodec().Unmarshal(res.MsgResponses[0].Value, &resp))
	require.Equal(t, uint64(1), resp.DeviceId)
	require.Equal(t, sealing.Key[:], resp.Key, "the chain derives the key the miner sealed with")

	device, err := c.PocpsKeeper.Devices.Get(c.Ctx(), 1)
	require.NoError(t, err)
	require.Equal(t, pocpstypes.DEVICE_STATUS_UNSEALED, device.Status)
	require.Equal(t, c.Funded.String(), device.Owner)

	// The setup proof verifies against what the chain stored.
	seed := proof.Hash{9}
	setup, err := sealing.ProveSetup(seed)
	require.NoError(t, err)
	var key proof.Hash
	copy(key[:], device.Key)
	require.NoError(t, proof.VerifySetup(device.Seal.Params.ProofParams(), key, device.Seal.Commitment(), seed, setup))

	var types []string
	for _, ev := range res.GetEvents() {
		types = append(types, ev.Type)
	}
	require.Contains(t, types, "loopin.pocps.v1.EventDeviceRegistered")
}

func TestRegisterDeviceRejectsBadInput(t *testing.T) {
	c := apptesting.Setup(t)
	apptesting.WithVerifier(t, c)
	for range 3 {
		c.NextBlock(t, time.Second)
	}
	h := c.LastBlockHeight()
	fp := apptesting.Fingerprint("gpu-0")
	_, commit := apptesting.SealFor(t, c, c.Funded, fp, h-1)
	_, err := apptesting.Deliver(c, c.Ctx(), apptesting.RegisterMsg(c.Funded, fp, h-1, commit))
	require.NoError(t, err)

	cases := []struct {
		name   string
		mutate func(*pocpstypes.MsgRegisterDevice)
		want   error
	}{
		{"fingerprint taken", func(*pocpstypes.MsgRegisterDevice) {}, pocpstypes.ErrFingerprintTaken},
		{"short fingerprint", func(m *pocpstypes.MsgRegisterDevice) { m.Fingerprint = []byte{1, 2} }, pocpstypes.ErrInvalidDevice},
		{"class without a pool", func(m *pocpstypes.MsgRegisterDevice) { m.GpuClass = "gtx-1080" }, pocpstypes.ErrInvalidDevice},
		{"retiring pool", func(m *pocpstypes.MsgRegisterDevice) { m.GpuClass = "t4" }, pocpstypes.ErrInvalidDevice},
		{"seal sizes not the pool's", func(m *pocpstypes.MsgRegisterDevice) {
			m.Seal.Params.Labels *= 2
		}, pocpstypes.ErrInvalidDevice},
		{"malformed class", func(m *pocpstypes.MsgRegisterDevice) { m.GpuClass = "RTX 4090" }, pocpstypes.ErrInvalidDevice},
		{"key height is the current block", func(m *pocpstypes.MsgRegisterDevice) { m.KeyHeight = h + 1 }, pocpstypes.ErrKeyHeight},
		{"key height in the future", func(m *pocpstypes.MsgRegisterDevice) { m.KeyHeight = h + 50 }, pocpstypes.ErrKeyHeight},
		{"key height before any block", func(m *pocpstypes.MsgRegisterDevice) { m.KeyHeight = 0 }, pocpstypes.ErrKeyHeight},
		{"seal roots missing", func(m *pocpstypes.MsgRegisterDevice) { m.Seal.LayerRoots = m.Seal.LayerRoots[:1] }, pocpstypes.ErrInvalidDevice},
		{"seal params invalid", func(m *pocpstypes.MsgRegisterDevice) { m.Seal.Params.Labels = 1000 }, pocpstypes.ErrInvalidDevice},
		{"endpoint without port", func(m *pocpstypes.MsgRegisterDevice) { m.Endpoint = "miner.example" }, pocpstypes.ErrInvalidDevice},
		{"endpoint bad port", func(m *pocpstypes.MsgRegisterDevice) { m.Endpoint = "miner.example:99999" }, pocpstypes.ErrInvalidDevice},
		{"privacy above 100", func(m *pocpstypes.MsgRegisterDevice) { m.Privacy.Level = 101 }, pocpstypes.ErrInvalidDevice},
		{"bad owner", func(m *pocpstypes.MsgRegisterDevice) { m.Owner = "cosmos1xyz" }, pocpstypes.ErrInvalidDevice},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			msg := apptesting.RegisterMsg(c.Funded, fp, h-1, commit)
			if tc.name != "fingerprint taken" {
				msg.Fingerprint = apptesting.Fingerprint(tc.name)
			}
			msg.Seal.LayerRoots = append([][]byte(nil), commit.LayerRoots...)
			tc.mutate(msg)
			_, err := apptesting.Deliver(c, c.Ctx(), msg)
			require.ErrorIs(t, err, tc.want)
			next, err := c.PocpsKeeper.DeviceSeq.Peek(c.Ctx())
			require.NoError(t, err)
			require.Equal(t, uint64(1), next, "no device was added")
		})
	}
}

func TestUpdateAndDeregisterDevice(t *testing.T) {
	c := apptesting.Setup(t)
	apptesting.WithVerifier(t, c)
	c.NextBlock(t, time.Second)
	h := c.LastBlockHeight()
	fp := apptesting.Fingerprint("gpu-0")
	_, commit := apptesting.SealFor(t, c, c.Funded, fp, h)
	c.NextBlock(t, time.Second)
	_, err := apptesting.Deliver(c, c.Ctx(), apptesting.RegisterMsg(c.Funded, fp, h, commit))
	require.NoError(t, err)
	stranger := sdk.AccAddress([]byte("stranger____________")).String()

	_, err = apptesting.Deliver(c, c.Ctx(), &pocpstypes.MsgUpdateDevice{Owner: stranger, DeviceId: 1, Endpoint: "x:1"})
	require.ErrorIs(t, err, pocpstypes.ErrNotOwner)
	_, err = apptesting.Deliver(c, c.Ctx(), &pocpstypes.MsgUpdateDevice{Owner: c.Funded.String(), DeviceId: 7, Endpoint: "x:1"})
	require.ErrorIs(t, err, pocpstypes.ErrDeviceNotFound)
	_, err = apptesting.Deliver(c, c.Ctx(), &pocpstypes.MsgUpdateDevice{Owner: c.Funded.String(), DeviceId: 1, Endpoint: "nohost"})
	require.ErrorIs(t, err, pocpstypes.ErrInvalidDevice)
	_, err = apptesting.Deliver(c, c.Ctx(), &pocpstypes.MsgUpdateDevice{Owner: c.Funded.String(), DeviceId: 1, Endpoint: "10.0.0.7:9400", Privacy: pocpstypes.PrivacyReport{Level: 95}})
	require.NoError(t, err)
	d, err := c.PocpsKeeper.Devices.Get(c.Ctx(), 1)
	require.NoError(t, err)
	require.Equal(t, "10.0.0.7:9400", d.Endpoint)
	require.Equal(t, uint32(95), d.Privacy.Level)

	// A committed device cannot leave.
	d.StakeId = 5
	require.NoError(t, c.PocpsKeeper.Devices.Set(c.Ctx(), 1, d))
	_, err = apptesting.Deliver(c, c.Ctx(), &pocpstypes.MsgDeregisterDevice{Owner: c.Funded.String(), DeviceId: 1})
	require.ErrorIs(t, err, pocpstypes.ErrDeviceCommitted)
	d.StakeId = 0
	require.NoError(t, c.PocpsKeeper.Devices.Set(c.Ctx(), 1, d))

	_, err = apptesting.Deliver(c, c.Ctx(), &pocpstypes.MsgDeregisterDevice{Owner: stranger, DeviceId: 1})
	require.ErrorIs(t, err, pocpstypes.ErrNotOwner)
	_, err = apptesting.Deliver(c, c.Ctx(), &pocpstypes.MsgDeregisterDevice{Owner: c.Funded.String(), DeviceId: 1})
	require.NoError(t, err)
	has, err := c.PocpsKeeper.Devices.Has(c.Ctx(), 1)
	require.NoError(t, err)
	require.False(t, has)

	// The fingerprint is free again, under a new id.
	res, err := apptesting.Deliver(c, c.Ctx(), apptesting.RegisterMsg(c.Funded, fp, h, commit))
	require.NoError(t, err)
	var resp pocpstypes.MsgRegisterDeviceResponse
	require.NoError(t, c.AppCodec().Unmarshal(res.MsgResponses[0].Value, &resp))
	require.Equal(t, uint64(2), resp.DeviceId)
}

func TestDeviceQueries(t *testing.T) {
	c := apptesting.Setup(t)
	apptesting.WithVerifier(t, c)
	c.NextBlock(t, time.Second)
	h := c.LastBlockHeight()
	other := apptesting.Account(t, c, "other owner", 100_000_000) // pays the registration deposit
	for i, owner := range []sdk.AccAddress{c.Funded, other, c.Funded} {
		fp := apptesting.Fingerprint(string(rune('a' + i)))
		_, commit := apptesting.SealFor(t, c, owner, fp, h)
		_, err := apptesting.Deliver(c, c.Ctx(), apptesting.RegisterMsg(owner, fp, h, commit))
		require.NoError(t, err)
	}
	q := pocpskeeper.NewQuerier(c.PocpsKeeper)
	ctx := c.Ctx()

	_, err := q.Device(ctx, &pocpstypes.QueryDeviceRequest{DeviceId: 99})
	require.Equal(t, codes.NotFound, status.Code(err))
	d, err := q.Device(ctx, &pocpstypes.QueryDeviceRequest{DeviceId: 2})
	require.NoError(t, err)
	require.Equal(t, other.String(), d.Device.Owner)

	page1, err := q.Devices(ctx, &pocpstypes.QueryDevicesRequest{Pagination: &query.PageRequest{Limit: 2}})
	require.NoError(t, err)
	require.Len(t, page1.Devices, 2)
	page2, err := q.Devices(ctx, &pocpstypes.QueryDevicesRequest{Pagination: &query.PageRequest{Key: page1.Pagination.NextKey}})
	require.NoError(t, err)
	require.Len(t, page2.Devices, 1)
	require.Equal(t, uint64(3), page2.Devices[0].Id)

	// The class filter: device 2 moved to another class in a scratch context.
	scratch, _ := ctx.CacheContext()
	moved := d.Device
	moved.GpuClass = "l40"
	require.NoError(t, c.PocpsKeeper.Devices.Set(scratch, moved.Id, moved))
	l40, err := q.Devices(scratch, &pocpstypes.QueryDevicesRequest{GpuClass: "l40"})
	require.NoError(t, err)
	require.Equal(t, []pocpstypes.Device{moved}, l40.Devices)
	first, err := q.Devices(scratch, &pocpstypes.QueryDevicesRequest{GpuClass: "rtx-4090", Pagination: &query.PageRequest{Limit: 1}})
	require.NoError(t, err)
	require.Equal(t, uint64(1), first.Devices[0].Id)
	rest, err := q.Devices(scratch, &pocpstypes.QueryDevicesRequest{GpuClass: "rtx-4090", Pagination: &query.PageRequest{Key: first.Pagination.NextKey}})
	require.NoError(t, err)
	require.Len(t, rest.Devices, 1, "device 2 is skipped")
	require.Equal(t, uint64(3), rest.Devices[0].Id)
	none, err := q.Devices(scratch, &pocpstypes.QueryDevicesRequest{GpuClass: "tpu-v9"})
	require.NoError(t, err)
	require.Empty(t, none.Devices)

	mine, err := q.DevicesByOwner(ctx, &pocpstypes.QueryDevicesByOwnerRequest{Owner: c.Funded.String()})
	require.NoError(t, err)
	require.Len(t, mine.Devices, 2)
	require.Equal(t, []uint64{1, 3}, []uint64{mine.Devices[0].Id, mine.Devices[1].Id})
	_, err = q.DevicesByOwner(ctx, &pocpstypes.QueryDevicesByOwnerRequest{Owner: "nonsense"})
	require.Equal(t, codes.InvalidArgument, status.Code(err))

	// Devices survive an export and re-import, and ids continue.
	c.NextBlock(t, time.Second)
	next := c.ExportAndRestart(t)
	got, err := next.PocpsKeeper.Devices.Get(next.Ctx(), 3)
	require.NoError(t, err)
	require.Equal(t, c.Funded.String(), got.Owner)
	seq, err := next.PocpsKeeper.DeviceSeq.Peek(next.Ctx())
	require.NoError(t, err)
	require.Equal(t, uint64(3), seq)
}

// The block-hash anchors are bounded by key_window: each block adds one and
// prunes old ones, a few at a time.
func TestBlockHashWindow(t *testing.T) {
	c := apptesting.Setup(t, func(gs app.GenesisState) {
		var pg pocpstypes.GenesisState
		cdc := app.MakeEncodingConfig().Codec
		cdc.MustUnmarshalJSON(gs[pocpstypes.ModuleName], &pg)
		pg.Params.KeyWindow = 5
		gs[pocpstypes.ModuleName] = cdc.MustMarshalJSON(&pg)
	})
	for range 20 {
		c.NextBlock(t, time.Second)
	}
	var heights []int64
	require.NoError(t, c.PocpsKeeper.BlockHashes.Walk(c.Ctx(), nil, func(h int64, hash []byte) (bool, error) {
		heights = append(heights, h)
		require.Equal(t, apptesting.BlockHash(h), hash)
		return false, nil
	}))
	last := c.LastBlockHeight()
	require.Equal(t, last, heights[len(heights)-1])
	require.GreaterOrEqual(t, heights[0], last-5, "nothing older than key_window is kept")
}
