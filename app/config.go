package app

import (
	"os"
	"path/filepath"
	"sync"

	sdk "github.com/cosmos/cosmos-sdk/types"

	chaintypes "github.com/loopin-project/loopin/types"
)

// DefaultNodeHome is the default home of loopind: $HOME/.loopin.
var DefaultNodeHome = defaultNodeHome()

func defaultNodeHome() string {
	home, err := os.UserHomeDir()
	if err != nil {
		return ".loopin"
	}
	return filepath.Join(home, ".loopin")
}

var prefixesOnce sync.Once

// SetAddressPrefixes makes the SDK's global config use the loopin bech32
// prefixes (loopin1…, loopinvaloper1…, loopinvalcons1…) and seals it. It is
// safe to call more than once; the binary and tests call it before building
// any codec.
func SetAddressPrefixes() {
	prefixesOnce.Do(func() {
		p := chaintypes.Bech32Prefix
		cfg := sdk.GetConfig()
		cfg.SetBech32PrefixForAccount(p, p+sdk.PrefixPublic)
		cfg.SetBech32PrefixForValidator(p+sdk.PrefixValidator+sdk.PrefixOperator, p+sdk.PrefixValidator+sdk.PrefixOperator+sdk.PrefixPublic)
		cfg.SetBech32PrefixForConsensusNode(p+sdk.PrefixValidator+sdk.PrefixConsensus, p+sdk.PrefixValidator+sdk.PrefixConsensus+sdk.PrefixPublic)
		cfg.Seal()
		sdk.DefaultBondDenom = chaintypes.BondDenom
	})
}

// Importing the app package sets the loopin prefixes, so that no address is
// ever rendered with the SDK's default "cosmos" prefix.
func init() { SetAddressPrefixes() }
