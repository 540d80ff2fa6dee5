#!/bin/sh
# The forced command of a lease's SSH key (scripts/access-hook.sh): the
# lessee's command, or an interactive shell, runs here in the lease's own
# working directory DIR/home/lease-N, with LOOPIN_LEASE_ID set. The shell
# records its session id in DIR/sessions so that the revocation ends it.
#
#   lease-shell.sh DIR N
set -eu
dir=$1 lease=$2
work=$dir/home/lease-$lease
mkdir -p "$work" "$dir/sessions"
# sshd made this session; its id is the fifth field after the command name.
sid=$(sed 's/.*) //' /proc/$$/stat | cut -d' ' -f4)
rec=$dir/sessions/lease-$lease.$$
echo "$sid" >"$rec"
trap 'rm -f "$rec"' EXIT
cd "$work"
export HOME="$work" LOOPIN_LEASE_ID="$lease"
rc=0
if [ -n "${SSH_ORIGINAL_COMMAND:-}" ]; then
  sh -c "$SSH_ORIGINAL_COMMAND" || rc=$?
else
  "${SHELL:-/bin/sh}" -l || rc=$?
fi
exit $rc
