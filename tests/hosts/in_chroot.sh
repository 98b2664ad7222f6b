#!/bin/bash
# Run one command inside a host chroot made by make_chroot.sh.
#
#   in_chroot.sh ROOT [-b DIR]... [-B DIR]... -- command args...
#
#   -b DIR   bind the host folder (or file) DIR at the SAME path inside the chroot, read-write
#   -B DIR   the same, read-only
#
# Everything happens in a private mount namespace: proc, sys, dev, a fresh tmpfs on /tmp and /dev/shm, and
# the binds exist only for this command and vanish when its last process ends, even after kill -9, so the
# chroot never keeps a mount that a later `rm -rf` could walk through. The network namespace is the
# machine's own: a server on 127.0.0.1 outside is reachable inside.
#
# The process chain execs all the way down (unshare -> bash -> chroot -> command), so the PID of this
# script becomes the PID of the command: a caller can signal it directly.
#
# The command inherits this script's environment. Start it with `/usr/bin/env -i VAR=... cmd` so nothing of
# the outer environment (a venv's python on PATH, PYTHONPATH) leaks into the host applications.
set -euo pipefail
root=${1:?usage: in_chroot.sh ROOT [-b DIR]... [-B DIR]... -- command...}
shift
[ "$(id -u)" = 0 ] || { echo "in_chroot.sh: must run as root" >&2; exit 3; }
[ -f "$root/.gptedit-chroot" ] || { echo "in_chroot.sh: $root is not a finished chroot (run make_chroot.sh)" >&2; exit 3; }
binds=()
while [ $# -gt 0 ]; do
  case "$1" in
    -b | -B)
      [ -e "$2" ] || { echo "in_chroot.sh: cannot bind $2: no such file or folder" >&2; exit 2; }
      binds+=("$1" "$(realpath -- "$2")")
      shift 2 ;;
    --) shift; break ;;
    *) break ;;
  esac
done
[ $# -gt 0 ] || { echo "in_chroot.sh: no command given" >&2; exit 2; }

exec unshare --mount --propagation private -- /bin/bash -c '
  set -e
  r=$1; n=$2; shift 2
  mount -t proc proc "$r/proc"
  mount -t sysfs sys "$r/sys"
  mount --rbind /dev "$r/dev"
  mount -t tmpfs -o mode=1777,nosuid,nodev shm "$r/dev/shm"
  # /tmp first: binds below /tmp must land on top of the fresh tmpfs, not under it.
  mount -t tmpfs -o mode=1777,nosuid,nodev tmp "$r/tmp"
  for ((i = 0; i < n; i += 2)); do
    flag=$1; src=$2; shift 2
    if [ -d "$src" ]; then mkdir -p "$r$src"; else mkdir -p "$(dirname "$r$src")"; [ -e "$r$src" ] || : >"$r$src"; fi
    mount --bind "$src" "$r$src"
    [ "$flag" = -b ] || mount -o remount,bind,ro "$r$src"
  done
  exec chroot "$r" "$@"
' in_chroot "$root" "${#binds[@]}" "${binds[@]}" "$@"
