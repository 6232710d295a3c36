#!/bin/bash
# usage: postfix-start.sh DIR PORT DOMAIN ARGV...
# Runs the machine's Postfix as an MX for DOMAIN on 127.0.0.1:PORT that pipes every mail for DOMAIN, one recipient
# at a time, into ARGV (run as nobody, with Postfix's bare environment: give absolute paths; ${recipient} and
# ${sender} are Postfix's macros). Postfix has one system configuration: /etc/postfix is backed up first and
# postfix-stop.sh puts it back. Other mail is discarded (nothing leaves the machine). The log goes to DIR/maillog.
set -euo pipefail
D=$1; PORT=$2; DOMAIN=$3; shift 3
BACKUP=/etc/postfix.chatter-backup
if [ -d "$BACKUP" ]; then
  # a previous run died before restoring: stop its Postfix, put the configuration back
  postfix stop >/dev/null 2>&1 || true
  rm -rf /etc/postfix && mv "$BACKUP" /etc/postfix
elif postfix status >/dev/null 2>&1; then
  echo "a Postfix is already running on this machine; the tests reconfigure it, so stop it first (postfix stop)" >&2
  exit 1
fi
cp -a /etc/postfix "$BACKUP"
mkdir -p "$D"; chmod 755 "$D"
postconf -e "myhostname=mx.$DOMAIN" "mydomain=$DOMAIN" 'myorigin=$mydomain' \
  "inet_interfaces=loopback-only" "inet_protocols=ipv4" "mydestination=" "alias_maps=" "alias_database=" \
  "relay_domains=$DOMAIN" "transport_maps=texthash:$D/transport" "chatter_destination_recipient_limit=1" \
  "default_transport=discard:not delivered by the test MX" "relayhost=" \
  "mynetworks=127.0.0.0/8" "smtpd_relay_restrictions=permit_mynetworks,reject_unauth_destination" \
  "smtpd_recipient_restrictions=permit_mynetworks,reject_unauth_destination" \
  "smtpd_tls_security_level=none" "smtp_tls_security_level=none" \
  "maillog_file_prefixes=/var,/dev/stdout,/tmp" "maillog_file=$D/maillog" "compatibility_level=3.6" \
  "queue_run_delay=1s" "minimal_backoff_time=1s" "maximal_backoff_time=2s"
echo "$DOMAIN chatter:" > "$D/transport"
# Debian chroots most daemons (column 5 = y), which needs files copied into the spool: turn it off
sed -i -E 's/^([a-z]+ +(inet|unix|unix-dgram) +[-n] +[-n] +)y/\1n/' /etc/postfix/master.cf
sed -i -E "s/^smtp( +inet)/127.0.0.1:$PORT\1/" /etc/postfix/master.cf
{
  echo "chatter   unix  -       n       n       -       -       pipe"
  echo "  flags=DRq user=nobody argv=$*"
} >> /etc/postfix/master.cf
postfix check
postfix start </dev/null >/dev/null 2>&1
for i in $(seq 1 100); do (echo > /dev/tcp/127.0.0.1/$PORT) 2>/dev/null && exit 0; sleep 0.05; done
echo "postfix did not open port $PORT" >&2; cat "$D/maillog" >&2 2>/dev/null || true; exit 1
