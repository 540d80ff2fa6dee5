package types_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/loopin-project/loopin/x/pocps/types"
)

type recordingHook struct {
	calls *[]string
	name  string
	err   error
}

func (h recordingHook) AfterDeviceFailed(_ context.Context, id uint64) error {
	*h.calls = append(*h.calls, h.name)
	return h.err
}

func (h recordingHook) AfterDeviceScored(_ context.Context, id uint64) error {
	*h.calls = append(*h.calls, h.name+"-scored")
	return h.err
}

func TestMultiPocpsHooksRunsAllInOrderAndJoinsErrors(t *testing.T) {
	var calls []string
	errB := errors.New("b failed")
	multi := types.NewMultiPocpsHooks(
		recordingHook{&calls, "a", nil},
		recordingHook{&calls, "b", errB},
		recordingHook{&calls, "c", nil},
	)
	err := multi.AfterDeviceFailed(context.Background(), 7)
	require.ErrorIs(t, err, errB)
	require.Equal(t, []string{"a", "b", "c"}, calls)
	require.NoError(t, types.NewMultiPocpsHooks().AfterDeviceFailed(context.Background(), 7))
}
