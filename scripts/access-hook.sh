#!/bin/sh
# The lease-access hook for `loopind sidecar miner --access-hook` that the
# localnet and the testnet use: it lets the lessee log in over SSH to the
# server that scripts/lease-sshd.sh runs, for the lease only and until the
# lease ends. The hook's contract is in docs/operators.md ("The access
# hook's contract"); the sidecar runs it with the lease in its environment
#   LOOPIN_ACTION     grant or revoke
#   LOOPIN_LEASE_ID   LOOPIN_DEVICE_ID   LOOPIN_CLIENT   LOOPIN_LEASE_END   LOOPIN_CHAIN_ID
# and, on grant, the lessee's SSH public key on standard input.
#
# State, in LOOPIN_ACCESS_DIR (the lease-sshd.sh directory, default ./access):
#   keys/lease-N      lease N's line of authorized_keys
#   authorized_keys   every lease's line, rebuilt at each grant and revoke
#   sessions/         the lease shells running (scripts/lease-shell.sh)
#
# grant: installs the key as
#   expiry-time="<lease end>Z",restrict,pty,command="lease-shell.sh DIR N" <key>
# so that it logs in only to lease N's shell, with no forwarding, and sshd
# refuses it after the lease's end even if no revocation ran. It prints the
# endpoint (ssh_host, ssh_port, ssh_user, ssh_host_key lines) for
# `loopind lease ssh`. Granting again replaces the lease's key.
# revoke: removes the key and ends the lease's sessions. Revoking a lease
# that holds nothing succeeds. Both are safe to run concurrently.
# Exit codes: 0 done; 1 refused (no or bad key, no SSH server set up); 2 misuse.
set -eu
dir=${LOOPIN_ACCESS_DIR:-./access}
mkdir -p "$dir/keys" "$dir/sessions"
dir=$(cd "$dir" && pwd)
lease=${LOOPIN_LEASE_ID:?LOOPIN_LEASE_ID is not set}
case $lease in '' | *[!0-9]*) echo "access-hook: lease id '$lease' is not a number" >&2; exit 2 ;; esac
here=$(cd "$(dirname "$0")" && pwd)
shell=${LOOPIN_LEASE_SHELL:-$here/lease-shell.sh}
case $dir$shell in *[\"\ ]*) echo "access-hook: '$dir' and '$shell' may not contain spaces or quotes" >&2; exit 2 ;; esac

# rebuild writes authorized_keys from keys/, atomically (under the lock).
rebuild() {
  tmp=$dir/authorized_keys.$$
  : >"$tmp"
  for f in "$dir"/keys/lease-*; do
    [ -f "$f" ] && cat "$f" >>"$tmp"
  done
  chmod 600 "$tmp"
  mv "$tmp" "$dir/authorized_keys"
}

exec 9>"$dir/lock"
flock 9

case "${LOOPIN_ACTION:-}" in
grant)
  [ -f "$dir/ssh.env" ] || { echo "access-hook: no SSH server set up in $dir (start scripts/lease-sshd.sh $dir PORT)" >&2; exit 1; }
  . "$dir/ssh.env"
  # One public key, one line: only its type and base64 are kept, so that a
  # payload cannot add options of its own or a second, unrestricted key.
  payload=$(head -c 8192)
  if [ "$(printf '%s\n' "$payload" | grep -c .)" != 1 ]; then
    echo "access-hook: the payload must be one SSH public key on one line (your ~/.ssh/id_ed25519.pub)" >&2
    exit 1
  fi
  set -f
  set -- $payload
  set +f
  case ${1:-} in
  ssh-ed25519 | ssh-rsa | ecdsa-sha2-nistp256 | ecdsa-sha2-nistp384 | ecdsa-sha2-nistp521 | sk-ssh-ed25519@openssh.com | sk-ecdsa-sha2-nistp256@openssh.com) ;;
  *) echo "access-hook: '${1:-}' is not an SSH public key type" >&2; exit 1 ;;
  esac
  key="$1 ${2:-}"
  if ! printf '%s\n' "$key" | ssh-keygen -l -f - >/dev/null 2>&1; then
    echo "access-hook: the payload is not a valid SSH public key" >&2
    exit 1
  fi
  end=$(date -u -d "${LOOPIN_LEASE_END:?LOOPIN_LEASE_END is not set}" +%Y%m%d%H%M%S)
  printf 'expiry-time="%sZ",restrict,pty,command="%s %s %s" %s lease-%s\n' "$end" "$shell" "$dir" "$lease" "$key" "$lease" >"$dir/keys/lease-$lease.tmp"
  mv "$dir/keys/lease-$lease.tmp" "$dir/keys/lease-$lease"
  rebuild
  echo "lease $LOOPIN_LEASE_ID on device ${LOOPIN_DEVICE_ID:-?} for ${LOOPIN_CLIENT:-?} until $LOOPIN_LEASE_END"
  echo "ssh_host=$LOOPIN_SSH_HOST"
  echo "ssh_port=$LOOPIN_SSH_PORT"
  echo "ssh_user=$(id -un)"
  echo "ssh_host_key=$(cut -d' ' -f1,2 "$dir/host_ed25519.pub")"
  ;;
revoke)
  rm -f "$dir/keys/lease-$lease"
  rebuild
  # End the lease's sessions: each lease shell recorded its session id.
  for f in "$dir"/sessions/lease-"$lease".*; do
    [ -f "$f" ] || continue
    pid=${f##*.}
    sid=$(cat "$f")
    # Only a live lease shell of this lease: never a reused pid.
    if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "lease-shell.sh $dir $lease "; then
      pkill -TERM -s "$sid" 2>/dev/null || true
    fi
    rm -f "$f"
  done
  ;;
*)
  echo "access-hook: unknown LOOPIN_ACTION '${LOOPIN_ACTION:-}' (grant or revoke)" >&2
  exit 2
  ;;
esac
