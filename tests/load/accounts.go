package main

import (
	"crypto/sha256"
	"fmt"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	sdk "github.com/cosmos/cosmos-sdk/types"
)

// Role is the part an account plays in the load fixture.
type Role string

const (
	// RoleClient accounts buy and terminate leases and send bank transfers.
	RoleClient Role = "client"
	// RoleMiner accounts own the fixture's devices and their LP stakes.
	RoleMiner Role = "miner"
	// RoleVerifier accounts are the hot keys of the fixture's verifiers
	// (one per bonded validator, at most MaxVerifiers).
	RoleVerifier Role = "verifier"
)

// MaxVerifiers is how many verifier hot-key accounts the fixture funds.
const MaxVerifiers = 16

// Key is the deterministic secp256k1 key of account i of role: the
// SHA-256 of "loopin-load/<role>/<i>". The fixture and the load generator
// derive the same keys, so no keyring is shared between them. These keys
// are public: never fund them on a chain that matters.
func Key(role Role, i int) *secp256k1.PrivKey {
	seed := sha256.Sum256([]byte(fmt.Sprintf("loopin-load/%s/%d", role, i)))
	return secp256k1.GenPrivKeyFromSecret(seed[:])
}

// Address is the account address of Key(role, i).
func Address(role Role, i int) sdk.AccAddress {
	return sdk.AccAddress(Key(role, i).PubKey().Address())
}
