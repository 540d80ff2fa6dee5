package types

import "cosmossdk.io/core/address"

// AccountKeeper is the part of x/auth that x/stake uses.
type AccountKeeper interface {
	// AddressCodec decodes and encodes bech32 account addresses.
	AddressCodec() address.Codec
}
