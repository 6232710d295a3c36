#!/bin/bash
# usage: postfix-stop.sh DIR  -- stops the Postfix of postfix-start.sh, empties its queue, restores /etc/postfix, removes DIR.
BACKUP=/etc/postfix.chatter-backup
PID=$(cat /var/spool/postfix/pid/master.pid 2>/dev/null | tr -d ' ' || true)
postfix stop >/dev/null 2>&1 || true
if [ -n "$PID" ]; then for i in $(seq 1 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.05; done; fi
postsuper -d ALL >/dev/null 2>&1 || true
if [ -d "$BACKUP" ]; then rm -rf /etc/postfix && mv "$BACKUP" /etc/postfix; fi
[ -n "${1:-}" ] && rm -rf "$1"
exit 0
