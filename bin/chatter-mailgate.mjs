#!/usr/bin/env node
// chatter-mailgate: the MTA pipe. Reads one raw mail on stdin and POSTs it to the app's relay (POST /chatter/inbound).
// Plain Node, no framework: an MTA runs it once per mail, so it must start fast.
//   chatter-mailgate --url http://127.0.0.1:3000/chatter/inbound [--token-file FILE | --token T] [RECIPIENT [SENDER]]
//   (or CHATTER_INBOUND_URL / CHATTER_INBOUND_TOKEN in the environment)
// Exit codes (sysexits.h, what MTAs understand): 0 stored · 75 EX_TEMPFAIL (try again later) · 67 EX_NOUSER (no such
// alias: the MTA bounces) · 77 EX_NOPERM (the relay refused our token) · 65 EX_DATAERR (not a mail, too large) · 64 usage.
import { readFileSync } from 'node:fs';

const EX = { OK: 0, USAGE: 64, DATAERR: 65, NOUSER: 67, TEMPFAIL: 75, NOPERM: 77 };

function fail(code, message) {
  process.stderr.write(`chatter-mailgate: ${message}\n`);
  process.exit(code);
}

const args = process.argv.slice(2);
const opts = { url: process.env.CHATTER_INBOUND_URL, token: process.env.CHATTER_INBOUND_TOKEN, timeout: 60, positional: [] };
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  const value = () => (i + 1 < args.length ? args[++i] : fail(EX.USAGE, `${a} needs a value`));
  if (a === '--url') opts.url = value();
  else if (a === '--token') opts.token = value();
  else if (a === '--token-file') {
    const file = value();
    try {
      opts.token = readFileSync(file, 'utf8').trim();
    } catch (error) {
      fail(EX.TEMPFAIL, `cannot read the token file ${file}: ${error.message}`);
    }
  } else if (a === '--timeout') opts.timeout = Number(value());
  else if (a === '-h' || a === '--help') {
    process.stdout.write('usage: chatter-mailgate --url URL [--token-file FILE | --token T] [--timeout SECONDS] [RECIPIENT [SENDER]]\n');
    process.exit(EX.OK);
  } else opts.positional.push(a);
}
if (!opts.url) fail(EX.USAGE, 'no relay URL (--url or CHATTER_INBOUND_URL)');
if (!opts.token) fail(EX.USAGE, 'no token (--token-file, --token or CHATTER_INBOUND_TOKEN)');
const [recipient, sender] = opts.positional;

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const raw = Buffer.concat(chunks);
if (raw.length === 0) fail(EX.DATAERR, 'no mail on standard input');

const headers = { authorization: `Bearer ${opts.token}`, 'content-type': 'message/rfc822', 'x-chatter-source': 'pipe' };
if (recipient) headers['x-chatter-recipient'] = recipient;
if (sender) headers['x-chatter-sender'] = sender;

let response;
try {
  response = await fetch(opts.url, { method: 'POST', headers, body: raw, signal: AbortSignal.timeout(opts.timeout * 1000) });
} catch (error) {
  fail(EX.TEMPFAIL, `relay unreachable (${error.cause?.code ?? error.name}): ${error.message}`);
}
const text = await response.text().catch(() => '');
let body = {};
try {
  body = JSON.parse(text);
} catch {
  /* not JSON: use the status alone */
}
const message = body.message ?? (text.slice(0, 200) || response.statusText);
if (response.ok) process.exit(EX.OK);
if (response.status === 401 || response.status === 403) fail(EX.NOPERM, `the relay refused our token: ${message}`);
if (response.status === 404 && body.error === 'no_such_recipient') fail(EX.NOUSER, message);
if (response.status === 404 && body.error === 'relay_denied') fail(EX.NOUSER, message);
if (response.status === 400 || response.status === 413) fail(EX.DATAERR, message);
fail(EX.TEMPFAIL, `relay answered ${response.status}: ${message}`);
