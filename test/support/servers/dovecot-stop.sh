#!/bin/bash
# usage: dovecot-stop.sh DIR  -- stops the Dovecot started by dovecot-start.sh DIR and removes DIR.
D=$1
[ -f "$D/dovecot.conf" ] || exit 0
PID=$(cat "$D/run/master.pid" 2>/dev/null || true)
doveadm -c "$D/dovecot.conf" stop 2>/dev/null || { [ -n "$PID" ] && kill "$PID" 2>/dev/null; } || true
# wait for the master to exit so no process keeps files open in DIR
if [ -n "$PID" ]; then for i in $(seq 1 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.05; done; fi
rm -rf "$D"
