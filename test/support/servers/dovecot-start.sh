#!/bin/bash
# usage: dovecot-start.sh DIR PORT [OAUTH2_INTROSPECTION_URL]
# A throwaway Dovecot IMAP server on 127.0.0.1:PORT, everything under DIR. Plain-text auth, no TLS, passwd-file users
# (test@ and bob@example.test, password "secret"), maildir owned by nobody. With an introspection URL, OAuth2 bearer
# tokens (XOAUTH2, OAUTHBEARER) are also accepted, checked by POSTing them to that URL (RFC 7662).
# DIR must be short: Dovecot's unix sockets live in DIR/run (sun_path is ~100 bytes).
set -euo pipefail
D=$1; PORT=$2; OAUTH=${3:-}
mkdir -p "$D/run" "$D/mail"
chmod 755 "$D"                       # mkdtemp makes it 0700; the auth process runs as user dovecot
chown 65534:65534 "$D/mail"          # Dovecot refuses to store mail as uid 0
cat > "$D/users" <<USERS
test@example.test:{PLAIN}secret::::::
bob@example.test:{PLAIN}secret::::::
USERS
MECHS="plain login"
OAUTH_PASSDB=""
if [ -n "$OAUTH" ]; then
  MECHS="plain login xoauth2 oauthbearer"
  cat > "$D/oauth2.conf" <<OAUTH2
introspection_mode = post
introspection_url = $OAUTH
username_attribute = username
active_attribute = active
active_value = true
OAUTH2
  OAUTH_PASSDB="passdb {
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = $D/oauth2.conf
}"
fi
cat > "$D/dovecot.conf" <<CONF
base_dir = $D/run
state_dir = $D/run/state
log_path = $D/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = $MECHS
# tests try wrong passwords on purpose: answer at once, and do not slow down the next logins (anvil's auth penalty)
auth_failure_delay = 0
default_internal_user = dovecot
default_login_user = dovenull
first_valid_uid = 1
mail_location = maildir:~/Maildir
mail_fsync = never
$OAUTH_PASSDB
passdb {
  driver = passwd-file
  mechanisms = plain login
  args = scheme=PLAIN username_format=%u $D/users
}
userdb {
  driver = passwd-file
  args = username_format=%u $D/users
  default_fields = uid=65534 gid=65534 home=$D/mail/%u
}
namespace inbox {
  inbox = yes
  separator = /
  mailbox Archive {
    auto = create
    special_use = \\Archive
  }
  mailbox Trash {
    auto = create
    special_use = \\Trash
  }
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $PORT
  }
  inet_listener imaps {
    port = 0
  }
}
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
service stats {
  unix_listener stats-writer {
    mode = 0666
  }
}
protocol imap {
  mail_max_userip_connections = 500
}
CONF
dovecot -c "$D/dovecot.conf" </dev/null >/dev/null 2>&1   # it daemonizes: keep it off our pipes
for i in $(seq 1 100); do (echo > /dev/tcp/127.0.0.1/$PORT) 2>/dev/null && exit 0; sleep 0.05; done
echo "dovecot did not open port $PORT" >&2; cat "$D/dovecot.log" >&2 || true; exit 1
