package keeper_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"cosmossdk.io/math"

	"github.com/loopin-project/loopin/app/apptesting"
	pocpskeeper "github.com/loopin-project/loopin/x/pocps/keeper"
	pocpstypes "github.com/loopin-project/loopin/x/pocps/types"
)

func TestScoreQuery(t *testing.T) {
	c := apptesting.Setup(t)
	c.NextBlock(t, time.Second)
	hot := apptesting.WithVerifier(t, c)
	_, id := apptesting.SealedDevice(t, c, hot)
	q := pocpskeeper.NewQuerier(c.PocpsKeeper)

	// Just sealed: PoT = exp(−2.303), no W yet: PoW = exp(−7.324); privacy
	// 80 = P_limit: PoP = 1; nothing minted: PoL = 1.
	s, err := q.Score(c.Ctx(), &pocpstypes.QueryScoreRequest{DeviceId: id})
	require.NoError(t, err)
	require.Equal(t, "1.000000000000000000", s.Pop.String())
	require.Equal(t, "1.000000000000000000", s.Pol.String())
	require.Equal(t, "0.000659518852609110", s.Pow.String())
	require.True(t, s.Pot.GT(pocpsDec("0.0999")) && s.Pot.LT(pocpsDec("0.1001")), s.Pot.String())
	require.Equal(t, s.Pot.MulTruncate(s.Pol).MulTruncate(s.Pop).MulTruncate(s.Pow), s.Pocps)

	// After T0 in the protocol PoT is 1.
	params, err := c.PocpsKeeper.Params.Get(c.Ctx())
	require.NoError(t, err)
	c.NextBlock(t, params.T0)
	s, err = q.Score(c.Ctx(), &pocpstypes.QueryScoreRequest{DeviceId: id})
	require.NoError(t, err)
	require.Equal(t, "1.000000000000000000", s.Pot.String())
	require.Equal(t, int64(params.T0.Seconds()), s.TimeInProtocolSeconds)

	_, err = q.Score(c.Ctx(), &pocpstypes.QueryScoreRequest{DeviceId: 42})
	require.Equal(t, codes.NotFound, status.Code(err))
}

func pocpsDec(s string) math.LegacyDec { return math.LegacyMustNewDecFromStr(s) }
