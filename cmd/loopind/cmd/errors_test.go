package cmd

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestUserErrorNamesThePositionalArgument(t *testing.T) {
	err := UserError(errors.New(`invalid argument "abc" for "--1" flag: time: invalid duration "abc"`))
	require.EqualError(t, err, `argument 2 "abc": time: invalid duration "abc"`)

	other := errors.New("insufficient funds")
	require.Same(t, other, UserError(other))
	require.NoError(t, UserError(nil))
}
