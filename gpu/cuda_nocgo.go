//go:build !cgo || !linux

package gpu

import "fmt"

// openCUDA reports that this binary cannot load a CUDA driver.
func openCUDA(Options) (Prover, error) {
	return nil, fmt.Errorf("%w: this loopind was built without cgo (CGO_ENABLED=0) or not for linux; use --backend cpu", ErrNoDriver)
}
