package types

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseDuration reads a lease or window duration: a Go duration ("36h",
// "90m", "1h30m") or whole days ("7d"). It returns a positive whole number
// of seconds; errors wrap ErrInvalidDuration.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseUint(days, 10, 32)
		if err != nil || n == 0 || n > 36500 {
			return 0, fmt.Errorf("%w: %q: days must be a whole number in [1, 36500], as in \"7d\"", ErrInvalidDuration, s)
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		d, err = time.ParseDuration(s)
		if err != nil {
			return 0, fmt.Errorf("%w: %q: write a duration such as \"36h\", \"90m\" or \"7d\"", ErrInvalidDuration, s)
		}
	}
	if d < time.Second || d%time.Second != 0 {
		return 0, fmt.Errorf("%w: %q: must be a positive whole number of seconds", ErrInvalidDuration, s)
	}
	return d, nil
}

// MaxTwapWindow is the longest TWAP window the Twap query serves: epoch-end
// snapshots of Π older than this are pruned.
const MaxTwapWindow = 30 * 24 * time.Hour
