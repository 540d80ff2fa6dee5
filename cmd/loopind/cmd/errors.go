package cmd

import (
	"fmt"
	"regexp"
	"strconv"
)

// positionalFlagErr matches the error autocli gives for a positional
// argument it cannot parse: it binds positional arguments to hidden flags
// named by their index, so pflag reports `invalid argument "abc" for "--1"
// flag: …`.
var positionalFlagErr = regexp.MustCompile(`invalid argument "((?:[^"\\]|\\.)*)" for "--(\d+)" flag: `)

// UserError rewrites an error for the person at the terminal: a positional
// argument autocli could not parse is named by its place ("argument 2
// "abc": time: invalid duration …") instead of by autocli's hidden flag.
// Other errors are returned unchanged.
func UserError(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	out := positionalFlagErr.ReplaceAllStringFunc(msg, func(m string) string {
		sub := positionalFlagErr.FindStringSubmatch(m)
		i, _ := strconv.Atoi(sub[2])
		return fmt.Sprintf("argument %d %q: ", i+1, sub[1])
	})
	if out == msg {
		return err
	}
	return fmt.Errorf("%s", out)
}
