package types

import (
	"net"
	"regexp"
	"strconv"

	"cosmossdk.io/errors"

	"github.com/loopin-project/loopin/proof"
)

// Limits on device fields.
const (
	FingerprintSize     = 32
	MaxEndpointLength   = 256
	MaxPrivacyDetails   = 1024
	MaxClassNameLength  = 32
	MaxPrivacyLevel     = 100
	sealRootSize        = 32
	minEndpointPortText = 1
)

var classRe = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*[a-z0-9]$`)

// ProofParams converts the stored seal parameters to package proof's.
func (p SealParams) ProofParams() proof.Params {
	return proof.Params{
		Labels: p.Labels, Layers: p.Layers, Parents: p.Parents, Samples: p.Samples,
		Walks: p.Walks, Steps: p.Steps, GemmRows: p.GemmRows, GemmDim: p.GemmDim, Rounds: p.Rounds,
	}
}

// SealParamsFromProof converts package proof's parameters for storage.
func SealParamsFromProof(p proof.Params) SealParams {
	return SealParams{
		Labels: p.Labels, Layers: p.Layers, Parents: p.Parents, Samples: p.Samples,
		Walks: p.Walks, Steps: p.Steps, GemmRows: p.GemmRows, GemmDim: p.GemmDim, Rounds: p.Rounds,
	}
}

// Commitment converts the stored commitment to package proof's.
func (c SealCommitment) Commitment() proof.Commitment {
	roots := make([]proof.Hash, len(c.LayerRoots))
	for i, r := range c.LayerRoots {
		copy(roots[i][:], r)
	}
	return proof.Commitment{LayerRoots: roots}
}

// Validate checks the seal parameters and that there is one 32-byte root
// per layer. Errors wrap ErrInvalidDevice.
func (c SealCommitment) Validate() error {
	p := c.Params.ProofParams()
	if err := p.Validate(); err != nil {
		return errors.Wrap(ErrInvalidDevice, err.Error())
	}
	if len(c.LayerRoots) != int(p.Layers) {
		return errors.Wrapf(ErrInvalidDevice, "seal has %d layer roots, its params say %d layers", len(c.LayerRoots), p.Layers)
	}
	for i, r := range c.LayerRoots {
		if len(r) != sealRootSize {
			return errors.Wrapf(ErrInvalidDevice, "layer root %d has %d bytes, want %d", i, len(r), sealRootSize)
		}
	}
	return nil
}

// ValidateClass checks the form of a GPU class name: lower-case
// kebab-case. Whether a pool exists for it is x/pools' to say.
func ValidateClass(class string) error {
	if len(class) == 0 || len(class) > MaxClassNameLength || !classRe.MatchString(class) {
		return errors.Wrapf(ErrInvalidDevice, "gpu_class %q must be lower-case letters, digits and dashes, at most %d characters", class, MaxClassNameLength)
	}
	return nil
}

// ValidateEndpoint checks a sidecar endpoint: host:port with a port in
// 1..65535. Errors wrap ErrInvalidDevice.
func ValidateEndpoint(endpoint string) error {
	return validateEndpoint(ErrInvalidDevice, endpoint)
}

// validateEndpoint is ValidateEndpoint with the registered error to wrap
// (ErrInvalidDevice for a device, ErrInvalidVerifier for a verifier).
func validateEndpoint(kind *errors.Error, endpoint string) error {
	if len(endpoint) == 0 || len(endpoint) > MaxEndpointLength {
		return errors.Wrapf(kind, "endpoint %q must be host:port, 1 to %d characters", endpoint, MaxEndpointLength)
	}
	host, port, err := net.SplitHostPort(endpoint)
	if err != nil || host == "" {
		return errors.Wrapf(kind, "endpoint %q must be host:port", endpoint)
	}
	if n, err := strconv.Atoi(port); err != nil || n < minEndpointPortText || n > 65535 {
		return errors.Wrapf(kind, "endpoint %q has an invalid port", endpoint)
	}
	return nil
}

// Validate checks a privacy report: level 0..100, details bounded.
func (r PrivacyReport) Validate() error {
	if r.Level > MaxPrivacyLevel {
		return errors.Wrapf(ErrInvalidDevice, "privacy level must be 0..%d, got %d", MaxPrivacyLevel, r.Level)
	}
	if len(r.Details) > MaxPrivacyDetails {
		return errors.Wrapf(ErrInvalidDevice, "privacy details must be at most %d characters", MaxPrivacyDetails)
	}
	return nil
}
