//go:build cgo && linux

package gpu

// SetMaxHostLayers sets the bytes of layers a CUDA seal keeps on the host
// (0: none, so every setup proof re-seals) and returns the previous value.
func SetMaxHostLayers(n uint64) uint64 {
	old := maxHostLayers
	maxHostLayers = n
	return old
}
