package app_test

import (
	"sort"
	"testing"

	dbm "github.com/cosmos/cosmos-db"
	"github.com/stretchr/testify/require"

	"cosmossdk.io/log/v2"

	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/loopin-project/loopin/app"
	pocpstypes "github.com/loopin-project/loopin/x/pocps/types"
	poolstypes "github.com/loopin-project/loopin/x/pools/types"
	staketypes "github.com/loopin-project/loopin/x/stake/types"
)

type noAppOptions struct{}

func (noAppOptions) Get(string) any { return nil }

// The codecs built from the module list, without an app, know the same
// messages and interfaces as the app's, and resolve LooPIN's and the SDK's
// messages through an Any.
func TestModuleEncoding(t *testing.T) {
	enc := app.MakeModuleEncodingConfig()
	reg := enc.InterfaceRegistry

	for _, msg := range []sdk.Msg{
		&poolstypes.MsgBuyLease{},
		&staketypes.MsgStakeLP{},
		&pocpstypes.MsgRegisterDevice{},
		&banktypes.MsgSend{FromAddress: "a", ToAddress: "b"},
	} {
		url := sdk.MsgTypeURL(msg)
		resolved, err := reg.Resolve(url)
		require.NoError(t, err, url)
		require.IsType(t, msg, resolved, url)

		any, err := codectypes.NewAnyWithValue(msg)
		require.NoError(t, err, url)
		bz, err := enc.Codec.MarshalJSON(any)
		require.NoError(t, err, url)
		var back codectypes.Any
		require.NoError(t, enc.Codec.UnmarshalJSON(bz, &back), url)
		var got sdk.Msg
		require.NoError(t, reg.UnpackAny(&back, &got), url)
		require.Equal(t, msg, got, url)
	}
	// Accounts decode through the registry too (the keyring and the
	// account retriever need it).
	var acc sdk.AccountI
	any, err := codectypes.NewAnyWithValue(&authtypes.BaseAccount{Address: "x"})
	require.NoError(t, err)
	require.NoError(t, reg.UnpackAny(any, &acc))

	full := app.New(log.NewNopLogger(), dbm.NewMemDB(), false, noAppOptions{})
	sorted := func(l []string) []string { sort.Strings(l); return l }
	list := func(r codectypes.InterfaceRegistry, iface string) []string {
		return sorted(r.ListImplementations(iface))
	}
	ifaces := sorted(full.InterfaceRegistry().ListAllInterfaces())
	require.Equal(t, ifaces, sorted(reg.ListAllInterfaces()))
	for _, iface := range ifaces {
		require.Equal(t, list(full.InterfaceRegistry(), iface), list(reg, iface), iface)
	}
	require.Contains(t, list(reg, sdk.MsgInterfaceProtoName), sdk.MsgTypeURL(&poolstypes.MsgBuyLease{}))
}
