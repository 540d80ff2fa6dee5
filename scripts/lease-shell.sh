#!/bin/sh
# The forced command of a lease's SSH key (scripts/access-hook.sh): the
# lessee's command, or an interactive shell, runs here in the lease's own
# working directory DIR/home/lease-N, with LOOPIN_LEASE_ID set, and is
# stopped (TERM, then KILL 5 s later) at the lease's end, END (Unix
# seconds), whether or not the revocation comes. Where all
# leases share one Unix user (lease-sshd.sh not run as root), the shell
# records its session in DIR/home/.sessions so that the revocation ends it.
#
#   lease-shell.sh DIR N END
set -eu
dir=$1 lease=$2 end=$3
left=$((end - $(date +%s)))
[ "$left" -gt 0 ] || { echo "lease $lease has ended" >&2; exit 1; }
work=$dir/home/lease-$lease
mkdir -p "$work"
if [ "$(id -un)" != "loopin-lease-$lease" ]; then
  mkdir -p "$dir/home/.sessions"
  rec=$dir/home/.sessions/lease-$lease.$$
  : >"$rec"
  trap 'rm -f "$rec"' EXIT
fi
cd "$work"
export HOME="$work" LOOPIN_LEASE_ID="$lease"
rc=0
if [ -n "${SSH_ORIGINAL_COMMAND:-}" ]; then
  timeout -k 5 "$left" sh -c "$SSH_ORIGINAL_COMMAND" || rc=$?
else
  # A terminal's shell stays in the foreground process group.
  timeout --foreground -k 5 "$left" "${SHELL:-/bin/sh}" -l || rc=$?
fi
exit $rc
