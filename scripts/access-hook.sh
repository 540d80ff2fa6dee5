#!/bin/sh
# Example lease-access hook for `loopind sidecar miner --access-hook` (the
# localnet's). The miner sidecar runs it after checking the lessee's signed
# request and the lease on chain, with the lease in its environment:
#   LOOPIN_ACTION     grant or revoke
#   LOOPIN_LEASE_ID   LOOPIN_DEVICE_ID   LOOPIN_CLIENT   LOOPIN_LEASE_END   LOOPIN_CHAIN_ID
# and the lessee's payload (here: an SSH public key) on standard input. On
# grant, what it prints goes back to the lessee; a non-zero exit refuses.
#
# This demo keeps the keys in $LOOPIN_ACCESS_DIR (default ./access): one file
# per lease. On a real GPU host the same hook would create a user for the
# lease, write the key to its ~/.ssh/authorized_keys (or start a container
# with the GPU), and remove both on revoke.
set -eu
dir=${LOOPIN_ACCESS_DIR:-./access}
mkdir -p "$dir"
key="$dir/lease-$LOOPIN_LEASE_ID.pub"
case "$LOOPIN_ACTION" in
grant)
  cat >"$key"
  if ! grep -q . "$key"; then
    echo "no SSH public key given: pass --payload-file ~/.ssh/id_ed25519.pub" >&2
    rm -f "$key"
    exit 1
  fi
  echo "lease $LOOPIN_LEASE_ID on device $LOOPIN_DEVICE_ID for $LOOPIN_CLIENT until $LOOPIN_LEASE_END"
  echo "key installed: $(head -c 60 "$key")..."
  echo "connect: ssh -p 2222 lease-$LOOPIN_LEASE_ID@127.0.0.1   (demo: no SSH server runs on the localnet)"
  ;;
revoke)
  rm -f "$key"
  ;;
*)
  echo "unknown LOOPIN_ACTION '$LOOPIN_ACTION'" >&2
  exit 2
  ;;
esac
