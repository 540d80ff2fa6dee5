package app

import (
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// simulateWithoutSource returns simulate with its errors stripped of the
// source frame that cosmossdk.io/errors attaches: the SDK's tx service
// (x/auth/tx Simulate, what `--gas auto` calls) formats the error with %v,
// and errorsmod's %v appends " [file:line]" of where the error was created
// — a path on the build machine, or the module path under -trimpath. The
// message, the codespace and the code are kept.
func simulateWithoutSource(simulate func([]byte) (sdk.GasInfo, *sdk.Result, error)) func([]byte) (sdk.GasInfo, *sdk.Result, error) {
	return func(txBytes []byte) (sdk.GasInfo, *sdk.Result, error) {
		gas, res, err := simulate(txBytes)
		if err != nil {
			err = withoutSource(err)
		}
		return gas, res, err
	}
}

// sourcelessError is an error whose %v is its message: it has no
// fmt.Formatter. It keeps the ABCI codespace and code of the error it
// replaces and unwraps to it, so errors.Is and errorsmod.ABCIInfo still see
// the registered error.
type sourcelessError struct {
	err       error
	codespace string
	code      uint32
}

func withoutSource(err error) error {
	codespace, code, _ := errorsmod.ABCIInfo(err, false)
	return &sourcelessError{err: err, codespace: codespace, code: code}
}

func (e *sourcelessError) Error() string     { return e.err.Error() }
func (e *sourcelessError) Unwrap() error     { return e.err }
func (e *sourcelessError) Codespace() string { return e.codespace }
func (e *sourcelessError) ABCICode() uint32  { return e.code }
