#!/bin/bash
# Runs INSIDE a host chroot: start a private Xvfb, run the command with DISPLAY pointing at it, stop Xvfb
# when the command ends, and exit with the command's code.
#
#   with_xvfb.sh RUN_DIR command args...
#
# RUN_DIR receives xvfb.display, xvfb.stderr and host.pid (the command's PID, for a test that wants to kill
# the application alone). -displayfd lets Xvfb pick a free display: the network namespace (and with it
# the abstract X socket) is shared with the machine and with other test runs, /tmp is not.
set -u
run_dir=${1:?usage: with_xvfb.sh RUN_DIR command...}
shift
display_file="$run_dir/xvfb.display"
: >"$display_file"
# -noreset: Krita connects and disconnects several times while it starts (Krita 6 probes OpenGL with
# short-lived connections); without it each last disconnect resets the server, and a connection attempt
# landing in that reset fails ("could not connect to display", Krita aborts).
Xvfb -displayfd 3 -screen 0 1280x1024x24 -nolisten tcp -noreset 3>"$display_file" 2>"$run_dir/xvfb.stderr" &
xvfb=$!
for _ in $(seq 400); do
  [ -s "$display_file" ] && break
  kill -0 "$xvfb" 2>/dev/null || { echo "with_xvfb.sh: Xvfb exited at start:" >&2; cat "$run_dir/xvfb.stderr" >&2; exit 90; }
  sleep 0.05
done
[ -s "$display_file" ] || { echo "with_xvfb.sh: Xvfb gave no display within 20 s" >&2; kill -9 "$xvfb"; exit 90; }
export DISPLAY=":$(head -n 1 "$display_file")"

"$@" &
child=$!
echo "$child" >"$run_dir/host.pid"
trap 'kill -TERM "$child" 2>/dev/null' TERM INT
# `wait` returns early when a trapped signal arrives; wait again until the child is really gone.
while :; do
  wait "$child"
  rc=$?
  kill -0 "$child" 2>/dev/null || break
done
kill "$xvfb" 2>/dev/null
wait "$xvfb" 2>/dev/null
exit "$rc"
