#!/usr/bin/env node
// nestjs-chatter: operator commands against a host's configuration (the same as the ChatterOperations service).
//   nestjs-chatter <command> [arguments] [--module FILE [--export NAME]] [--verbose]
// --module: an ES module whose export (default export, or NAME) is the host's root Nest module, a DynamicModule, or a
// function returning (a promise of) one; without it, the compiled sample app configured from the environment.
// The app is booted as an application context (no HTTP), so its database, mailboxes and servers are the host's own.
import { resolve } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';

const USAGE = `usage: nestjs-chatter <command> [arguments] [--module FILE [--export NAME]] [--verbose]
commands:
  failed-inbound [--limit N]      list failed inbound mails with their reason
  reprocess <id> | --all          route stored inbound mails again
  retry-outgoing [id ...]         put failed outgoing mails (all, or these) back in the outbox
  purge [--outgoing-days N]       apply the retention (inbound raw bytes and rows; sent outgoing mails older than N days)
  test-mailbox <name>             log in to a configured IMAP mailbox and look at its folder
  test-smtp <server | smtp://url> connect to a configured outgoing server (by name) or an SMTP URL
  health                          the chatter's health report`;

const EX = { OK: 0, FAILED: 1, USAGE: 64, SOFTWARE: 70 };
const here = fileURLToPath(new URL('.', import.meta.url));

function usage(message) {
  if (message) process.stderr.write(`nestjs-chatter: ${message}\n`);
  process.stderr.write(`${USAGE}\n`);
  process.exit(EX.USAGE);
}

const args = process.argv.slice(2);
const opts = { module: undefined, export: undefined, verbose: false, limit: 100, all: false, outgoingDays: undefined, positional: [] };
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  const value = () => (i + 1 < args.length ? args[++i] : usage(`${a} needs a value`));
  if (a === '--module') opts.module = value();
  else if (a === '--export') opts.export = value();
  else if (a === '--verbose') opts.verbose = true;
  else if (a === '--all') opts.all = true;
  else if (a === '--limit') opts.limit = Number(value());
  else if (a === '--outgoing-days') opts.outgoingDays = Number(value());
  else if (a === '--help' || a === '-h') usage();
  else if (a.startsWith('--')) usage(`unknown option ${a}`);
  else opts.positional.push(a);
}
const [command, ...rest] = opts.positional;
if (!command) usage();

/** the host's root module, or the sample app's */
async function hostModule() {
  if (opts.module) {
    const loaded = await import(pathToFileURL(resolve(opts.module)).href);
    let root = opts.export ? loaded[opts.export] : (loaded.default ?? loaded.AppModule);
    if (!root) usage(`${opts.module} has no ${opts.export ? `export "${opts.export}"` : 'default export'}`);
    // a class is a module; any other function builds one
    if (typeof root === 'function' && !/^class\b/.test(Function.prototype.toString.call(root))) root = await root();
    return root;
  }
  const { AppModule } = await import(resolve(here, '../dist/sample-app/app.module.js'));
  const { settingsFromEnv } = await import(resolve(here, '../dist/sample-app/settings.js'));
  // an operator command takes no mail: never bind the sample app's SMTP port next to the running app
  return AppModule.forSettings(settingsFromEnv({ ...process.env, SMTP_LISTEN: 'off' }));
}

/** a progress line on stderr, rewritten in place on a terminal */
function progress(label) {
  let last = 0;
  return (done, total) => {
    const now = Date.now();
    if (done !== total && now - last < 200) return;
    last = now;
    const line = `${label}: ${done}/${total} (${total ? Math.floor((done / total) * 100) : 100}%)`;
    process.stderr.write(process.stderr.isTTY ? `\r${line}${done === total ? '\n' : ''}` : `${line}\n`);
  };
}

/** Nest's log lines on stderr (stdout is the command's result); `log`/`debug` only with --verbose */
function stderrLogger(verbose) {
  const line = (level) => (message, ...rest) => {
    const context = typeof rest[rest.length - 1] === 'string' ? rest[rest.length - 1] : '';
    process.stderr.write(`${new Date().toISOString()} ${level.padEnd(5)} ${context ? `[${context}] ` : ''}${message instanceof Error ? message.stack : message}\n`);
  };
  const quiet = () => undefined;
  return { error: line('ERROR'), warn: line('WARN'), log: verbose ? line('LOG') : quiet, debug: verbose ? line('DEBUG') : quiet, verbose: quiet, fatal: line('FATAL') };
}

function print(value) {
  process.stdout.write(`${typeof value === 'string' ? value : JSON.stringify(value, null, 2)}\n`);
}

await import('reflect-metadata');
const { NestFactory } = await import('@nestjs/core');
const lib = await import(resolve(here, '../dist/lib/index.js'));
let app;
let code = EX.OK;
try {
  app = await NestFactory.createApplicationContext(await hostModule(), { logger: stderrLogger(opts.verbose), abortOnError: false });
  const ops = app.get(lib.ChatterOperations);
  switch (command) {
    case 'failed-inbound': {
      const rows = await ops.failedInbound(opts.limit);
      if (!rows.length) print('no failed inbound mail');
      for (const r of rows) print(`inbound ${r.id}\t${r.receivedAt.toISOString()}\t${r.source}${r.mailbox ? `:${r.mailbox}` : ''}\t${r.sender ?? '?'}\t${r.messageId}\t${r.reason ?? ''}`);
      break;
    }
    case 'reprocess': {
      if (opts.all) print(await ops.reprocessFailedInbound(progress('reprocessing')));
      else {
        const id = Number(rest[0]);
        if (!Number.isInteger(id)) usage('reprocess needs an inbound id or --all');
        const done = await ops.reprocessInbound(id);
        print(`inbound ${done.id}: ${done.status}${done.reason ? ` — ${done.reason}` : ''}`);
        if (done.status === 'failed') code = EX.FAILED;
      }
      break;
    }
    case 'retry-outgoing': {
      const ids = rest.length ? rest.map(Number) : undefined;
      if (ids?.some((n) => !Number.isInteger(n))) usage('retry-outgoing takes outgoing mail ids');
      const count = await ops.retryFailedOutgoing(ids, progress('requeueing'));
      print(`${count} outgoing mail(s) queued again`);
      // let the sender take them before the context closes
      await app.get(lib.OutboxSender).idle();
      break;
    }
    case 'purge':
      print(await ops.purge({ outgoingDays: opts.outgoingDays }));
      break;
    case 'test-mailbox': {
      if (!rest[0]) usage('test-mailbox needs a mailbox name');
      const check = await ops.testMailbox(rest[0]);
      print(check.ok ? `mailbox "${rest[0]}": OK — ${check.messages} message(s), ${check.unseen} unseen in ${check.folder}` : `mailbox "${rest[0]}": FAILED — ${check.error}`);
      if (!check.ok) code = EX.FAILED;
      break;
    }
    case 'test-smtp': {
      if (!rest[0]) usage('test-smtp needs a server name or an smtp:// URL');
      const check = await ops.testSmtp(rest[0]);
      print(check.ok ? `${check.server}: OK` : `FAILED — ${check.error}`);
      if (!check.ok) code = EX.FAILED;
      break;
    }
    case 'health':
      print(await app.get(lib.ChatterHealth).check());
      break;
    default:
      usage(`unknown command ${command}`);
  }
} catch (error) {
  process.stderr.write(`nestjs-chatter: ${error?.message ?? error}\n`);
  code = EX.SOFTWARE;
} finally {
  await app?.close().catch(() => undefined);
}
process.exit(code);
