package types

import (
	"time"

	"cosmossdk.io/errors"
)

// ValidateDuration checks a lease, extension or window duration: a positive
// whole number of seconds (the CLI reads Go durations such as "36h", "90m"
// or "168h"). Errors wrap ErrInvalidDuration.
func ValidateDuration(name string, d time.Duration) error {
	if d < time.Second || d%time.Second != 0 {
		return errors.Wrapf(ErrInvalidDuration, "%s %s must be a positive whole number of seconds", name, d)
	}
	return nil
}

// MaxTwapWindow is the longest TWAP window the Twap query serves: epoch-end
// snapshots of Π older than this are pruned.
const MaxTwapWindow = 30 * 24 * time.Hour
