package cmd

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	svrcmd "github.com/cosmos/cosmos-sdk/server/cmd"
	sdk "github.com/cosmos/cosmos-sdk/types"
)

// buy-lease takes the device fields as --device and --min-commitment-end
// (RFC 3339) and puts them in the message; estimate-buy takes the same
// flags, and the quote commands of the market exist with their arguments.
func TestMarketCommandsTakeTheDeviceFields(t *testing.T) {
	root := NewRootCmd()
	for _, path := range [][]string{{"tx", "pools", "buy-lease"}, {"query", "pools", "estimate-buy"}} {
		c := findCmd(t, root, path...)
		require.NotNil(t, c.Flags().Lookup("device"), c.CommandPath())
		require.NotNil(t, c.Flags().Lookup("min-commitment-end"), c.CommandPath())
	}
	require.Equal(t, "estimate-sell [gpu-class] [duration]", findCmd(t, root, "query", "pools", "estimate-sell").Use)
	require.Equal(t, "estimate-buy-max-impact [gpu-class] [max-price-impact]", findCmd(t, root, "query", "pools", "estimate-buy-max-impact").Use)

	from := sdk.AccAddress([]byte("client______________")).String()
	root = NewRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetArgs([]string{"tx", "pools", "buy-lease", "rtx-4090", "2h", "150000", "--device", "7", "--min-commitment-end", "2027-02-01T00:00:00Z",
		"--from", from, "--generate-only", "--chain-id", "loopin-test", "--home", t.TempDir()})
	require.NoError(t, svrcmd.Execute(root, "LOOPIN", t.TempDir()))
	var tx struct {
		Body struct {
			Messages []map[string]any `json:"messages"`
		} `json:"body"`
	}
	require.NoError(t, json.Unmarshal(out.Bytes(), &tx), out.String())
	require.Len(t, tx.Body.Messages, 1)
	msg := tx.Body.Messages[0]
	require.Equal(t, "/loopin.pools.v1.MsgBuyLease", msg["@type"])
	require.Equal(t, "7", msg["device_id"])
	require.Equal(t, "2027-02-01T00:00:00Z", msg["min_commitment_end"])
}
