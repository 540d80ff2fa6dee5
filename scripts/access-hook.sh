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
#   keys/lease-N       lease N's line of authorized_keys (the record)
#   authorized/USER    what sshd reads for USER
#   home/lease-N       the lease's working directory
#
# grant installs the key as
#   expiry-time="<lease end>Z",restrict,pty,command="lease-shell.sh DIR N END" <key>
# so that it logs in only to lease N's shell, forwards nothing, logs in no
# more after the lease's end, and what runs is stopped at the end, even if
# no revocation runs (the miner down). With sshd run as
# root (ssh.env's LOOPIN_SSH_MODE=user) the lease has its own Unix user,
# loopin-lease-N, made here; otherwise every lease shares sshd's user. It
# prints the endpoint (ssh_host, ssh_port, ssh_user, ssh_host_key lines)
# for `loopind lease ssh`. Granting again replaces the lease's key.
# revoke removes the key, the lease's directory and its processes: all of
# its user's, daemons included (user mode), or the sessions its lease
# shells recorded (shared mode: a lessee can leave a daemon behind there).
# Revoking a lease that holds nothing succeeds. Both are safe to run
# concurrently.
# Exit codes: 0 done; 1 refused (no or bad key, no SSH server set up); 2 misuse.
set -eu
dir=${LOOPIN_ACCESS_DIR:-./access}
[ -f "$dir/ssh.env" ] || { echo "access-hook: no SSH server set up in $dir (start scripts/lease-sshd.sh $dir PORT)" >&2; exit 1; }
dir=$(cd "$dir" && pwd)
. "$dir/ssh.env"
lease=${LOOPIN_LEASE_ID:?LOOPIN_LEASE_ID is not set}
case $lease in '' | *[!0-9]*) echo "access-hook: lease id '$lease' is not a number" >&2; exit 2 ;; esac
here=$(cd "$(dirname "$0")" && pwd)
shell=${LOOPIN_LEASE_SHELL:-$here/lease-shell.sh}
case $dir$shell in *[\"\ ]*) echo "access-hook: '$dir' and '$shell' may not contain spaces or quotes" >&2; exit 2 ;; esac
if [ "$LOOPIN_SSH_MODE" = user ]; then
  user=loopin-lease-$lease
  [ ${#user} -le 32 ] || { echo "access-hook: lease id $lease is too long for a user name" >&2; exit 2; }
else
  user=$(id -un)
fi

# publish writes what sshd reads (under the lock): lease N's line alone in
# authorized/loopin-lease-N, or every lease's lines in authorized/USER.
publish() {
  out=$dir/authorized/$user
  tmp=$out.tmp.$$
  if [ "$LOOPIN_SSH_MODE" = user ]; then
    if [ -f "$dir/keys/lease-$lease" ]; then cat "$dir/keys/lease-$lease" >"$tmp"; else : >"$tmp"; fi
  else
    : >"$tmp"
    for f in "$dir"/keys/lease-*; do
      [ -f "$f" ] && cat "$f" >>"$tmp"
    done
  fi
  chmod 644 "$tmp"
  mv "$tmp" "$out"
}

exec 9>"$dir/keys/lock"
flock 9

case "${LOOPIN_ACTION:-}" in
grant)
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
  end_unix=$(date -u -d "$LOOPIN_LEASE_END" +%s)
  # Where leases share one user, sshd takes the first line that matches a
  # key: a key already installed for another lease would send its owner's
  # logins into this one.
  if [ "$LOOPIN_SSH_MODE" != user ]; then
    for f in "$dir"/keys/lease-*; do
      [ -f "$f" ] && [ "$f" != "$dir/keys/lease-$lease" ] || continue
      if grep -qF " $2 " "$f"; then
        echo "access-hook: this key is installed for another lease on this host; use another key" >&2
        exit 1
      fi
    done
  fi
  if [ "$LOOPIN_SSH_MODE" = user ]; then
    id "$user" >/dev/null 2>&1 ||
      useradd --no-create-home --home-dir "$dir/home/lease-$lease" --gid loopin-lease --shell /bin/sh --password '*' "$user"
    install -d -m 700 -o "$user" -g loopin-lease "$dir/home/lease-$lease"
  fi
  printf 'expiry-time="%sZ",restrict,pty,command="%s %s %s %s" %s lease-%s\n' "$end" "$shell" "$dir" "$lease" "$end_unix" "$key" "$lease" >"$dir/keys/lease-$lease.tmp"
  mv "$dir/keys/lease-$lease.tmp" "$dir/keys/lease-$lease"
  publish
  echo "lease $LOOPIN_LEASE_ID on device ${LOOPIN_DEVICE_ID:-?} for ${LOOPIN_CLIENT:-?} until $LOOPIN_LEASE_END"
  echo "ssh_host=$LOOPIN_SSH_HOST"
  echo "ssh_port=$LOOPIN_SSH_PORT"
  echo "ssh_user=$user"
  echo "ssh_host_key=$(cut -d' ' -f1,2 "$dir/host_ed25519.pub")"
  ;;
revoke)
  rm -f "$dir/keys/lease-$lease"
  publish
  if [ "$LOOPIN_SSH_MODE" = user ]; then
    if id "$user" >/dev/null 2>&1; then
      # Every process of the lease's user, daemons included, then the user.
      for _ in 1 2 3 4 5 6 7 8 9 10; do
        pkill -KILL -u "$user" 2>/dev/null || break
        sleep 0.2
      done
      userdel "$user"
    fi
    rm -f "$dir/authorized/$user"
    rm -rf "$dir/home/lease-$lease"
  else
    # The sessions the lease's shells recorded: only a live lease shell of
    # this lease, its session read from /proc, never from the record.
    for f in "$dir"/home/.sessions/lease-"$lease".*; do
      [ -f "$f" ] || continue
      pid=${f##*.}
      rm -f "$f"
      case $pid in '' | *[!0-9]*) continue ;; esac
      tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "lease-shell.sh $dir $lease " || continue
      sid=$(sed 's/.*) //' "/proc/$pid/stat" | cut -d' ' -f4)
      case $sid in '' | 0 | *[!0-9]*) continue ;; esac
      pkill -TERM -s "$sid" -u "$user" 2>/dev/null || true
    done
    rm -rf "$dir/home/lease-$lease"
  fi
  ;;
*)
  echo "access-hook: unknown LOOPIN_ACTION '${LOOPIN_ACTION:-}' (grant or revoke)" >&2
  exit 2
  ;;
esac
