#!/bin/sh
# The lease-access SSH server of a miner host: Debian's OpenSSH sshd,
# started without a system service, listening on HOST:PORT with its own
# host key and configuration in DIR, and letting in only the keys that
# scripts/access-hook.sh installs for active leases (DIR/authorized/<user>).
# It runs in the foreground (log on standard error) until killed.
#
#   scripts/lease-sshd.sh DIR PORT [HOST]      HOST defaults to 127.0.0.1
#
# Started as root (a real host), each lease gets its own Unix user,
# loopin-lease-<id> in the group loopin-lease, made at grant and removed
# with all its processes at revoke; no other account may log in. Started as
# another user (a developer's localnet), every lessee logs in as that user:
# the forced command and the key's expiry confine it, not privileges, so a
# lessee can act as that user. Use that mode for development only.
#
# It writes, in DIR:
#   host_ed25519, host_ed25519.pub   the host key (made once, kept across restarts)
#   sshd_config                      this server's configuration (rewritten at each start)
#   ssh.env                          the endpoint and mode, read by the access hook
#   authorized/, home/               the leases' keys and working directories
# Needs openssh-server (Debian: apt-get install -y openssh-server).
set -eu
[ $# -ge 2 ] || { sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
dir=$1 port=$2 host=${3:-127.0.0.1}
case $port in '' | *[!0-9]*) echo "lease-sshd: port '$port' is not a number" >&2; exit 2 ;; esac
sshd=$(command -v sshd || echo /usr/sbin/sshd)
[ -x "$sshd" ] || { echo "lease-sshd: sshd is not installed (Debian: apt-get install -y openssh-server)" >&2; exit 1; }
mkdir -p "$dir/authorized" "$dir/home" "$dir/keys"
dir=$(cd "$dir" && pwd)
case $dir in *[\"\ ]*) echo "lease-sshd: the directory '$dir' may not contain spaces or quotes" >&2; exit 2 ;; esac
chmod 755 "$dir" "$dir/authorized" "$dir/home"
chmod 700 "$dir/keys"
[ -f "$dir/host_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C "loopin-lease-host" -f "$dir/host_ed25519"
if [ "$(id -u)" = 0 ]; then
  mode=user
  getent group loopin-lease >/dev/null || groupadd --system loopin-lease
  allow="AllowGroups loopin-lease"
  # The lease users must reach their homes and the lease shell.
  if ! runuser -u nobody -- test -x "$dir/home" 2>/dev/null; then
    echo "lease-sshd: other users cannot reach $dir (a parent directory is not world-searchable): chmod o+x its parents" >&2
    exit 1
  fi
  # Running as root, sshd wants its privilege-separation directory.
  [ -d /run/sshd ] || { mkdir -p /run/sshd && chmod 755 /run/sshd; }
else
  mode=shared
  allow="AllowUsers $(id -un)"
  echo "lease-sshd: running as $(id -un): every lessee logs in as $(id -un) (development only; run as root on a real host)" >&2
fi
cat >"$dir/sshd_config" <<CONFIG
# Written by scripts/lease-sshd.sh at each start; edits are lost.
ListenAddress $host:$port
HostKey $dir/host_ed25519
PidFile $dir/sshd.pid
AuthorizedKeysFile $dir/authorized/%u
$allow
# The directory may sit under /tmp (world-writable): sshd's ownership
# checks of the key file's parents would refuse it. The key files are
# root's (or this user's) and not writable by the lease users.
StrictModes no
UsePAM no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
AllowAgentForwarding no
AllowTcpForwarding no
AllowStreamLocalForwarding no
X11Forwarding no
PermitTunnel no
PermitUserEnvironment no
PrintMotd no
ClientAliveInterval 15
ClientAliveCountMax 4
CONFIG
printf 'LOOPIN_SSH_HOST=%s\nLOOPIN_SSH_PORT=%s\nLOOPIN_SSH_MODE=%s\n' "$host" "$port" "$mode" >"$dir/ssh.env"
"$sshd" -t -f "$dir/sshd_config"
exec "$sshd" -D -e -f "$dir/sshd_config"
