package gpu

import "errors"

// ErrDeviceReset is returned (wrapped, with the CUDA call and error that
// caused it) by a CUDA backend call during which the device faulted with a
// sticky error — an illegal address, a failed launch, a device-side trap:
// errors after which the driver refuses all further work in the context.
// The backend has then reset the device's primary context and reloaded its
// kernels, so the same Prover works again (a new Seal or Restore
// succeeds), but every device allocation was lost: a Seal made before the
// reset answers no more challenges (its calls return ErrDeviceReset too) and
// must be taken back with Prover.Restore from its host copy — the miner
// sidecar restores from the copy it keeps on disk.
var ErrDeviceReset = errors.New("the CUDA device faulted and was reset: device memory was lost (restore any seal that was on the device)")

// ErrDeviceLost is returned (wrapped) when the CUDA backend could not
// rebuild the device context after a sticky error: the reset, the PTX
// reload or the check after them failed. Every call on the Prover then
// tries the recovery again and fails with ErrDeviceLost until one
// succeeds; the CUDA documentation asks for the process to be restarted
// after such errors, which is the remedy when recovery keeps failing.
var ErrDeviceLost = errors.New("the CUDA device faulted and its context could not be rebuilt (restart the process)")
