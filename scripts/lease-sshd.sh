#!/bin/sh
# The lease-access SSH server of a miner host: Debian's OpenSSH sshd,
# started without a system service, listening on HOST:PORT with its own
# host key and configuration in DIR, and letting in only the keys that
# scripts/access-hook.sh installs for active leases (DIR/authorized_keys).
# It runs in the foreground (log on standard error) until killed.
#
#   scripts/lease-sshd.sh DIR PORT [HOST]      HOST defaults to 127.0.0.1
#
# It writes, in DIR:
#   host_ed25519, host_ed25519.pub   the host key (made once, kept across restarts)
#   sshd_config                      this server's configuration (rewritten at each start)
#   ssh.env                          LOOPIN_SSH_HOST and LOOPIN_SSH_PORT, read by the access hook
#   authorized_keys                  empty until the hook grants a lease
#
# sshd logs in only the user that runs it (root may log in too, by key only),
# so the lessee's login name is this user; the hook's forced command
# (scripts/lease-shell.sh) confines each key to its lease. Needs
# openssh-server (Debian: apt-get install -y openssh-server).
set -eu
[ $# -ge 2 ] || { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
dir=$1 port=$2 host=${3:-127.0.0.1}
case $port in '' | *[!0-9]*) echo "lease-sshd: port '$port' is not a number" >&2; exit 2 ;; esac
sshd=$(command -v sshd || echo /usr/sbin/sshd)
[ -x "$sshd" ] || { echo "lease-sshd: sshd is not installed (Debian: apt-get install -y openssh-server)" >&2; exit 1; }
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
case $dir in *[\"\ ]*) echo "lease-sshd: the directory '$dir' may not contain spaces or quotes" >&2; exit 2 ;; esac
chmod 700 "$dir"
[ -f "$dir/host_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C "loopin-lease-host" -f "$dir/host_ed25519"
[ -f "$dir/authorized_keys" ] || : >"$dir/authorized_keys"
chmod 600 "$dir/authorized_keys"
cat >"$dir/sshd_config" <<CONFIG
# Written by scripts/lease-sshd.sh at each start; edits are lost.
ListenAddress $host:$port
HostKey $dir/host_ed25519
PidFile $dir/sshd.pid
AuthorizedKeysFile $dir/authorized_keys
# The directory may sit under /tmp (world-writable): sshd's ownership
# checks of the key file's parents would refuse it.
StrictModes no
UsePAM no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
AllowAgentForwarding no
AllowTcpForwarding no
X11Forwarding no
PermitTunnel no
PrintMotd no
ClientAliveInterval 15
ClientAliveCountMax 4
CONFIG
printf 'LOOPIN_SSH_HOST=%s\nLOOPIN_SSH_PORT=%s\n' "$host" "$port" >"$dir/ssh.env"
# Running as root, sshd wants its privilege-separation directory.
if [ "$(id -u)" = 0 ] && [ ! -d /run/sshd ]; then mkdir -p /run/sshd && chmod 755 /run/sshd; fi
"$sshd" -t -f "$dir/sshd_config"
exec "$sshd" -D -e -f "$dir/sshd_config"
