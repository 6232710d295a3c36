/**
 * A PostgreSQL server of one test file's own, for faults the machine's shared server must not suffer (a restart).
 *
 *   const pg = await PrivatePostgres.start();   // initdb into a temp dir, start, create the database `chatter`
 *                                               // (start('name') for another name; `pg.port`, `pg.running`, `pg.log`)
 *   pg.url                                      // postgres://postgres@127.0.0.1:<port>/chatter (trust auth)
 *   await pg.restart(3_000);                    // fast shutdown, 3 s down, start again: same port, same data
 *   await pg.stop('fast' | 'immediate'); await pg.start();
 *   await pg.destroy();                         // in afterAll: stop and remove the temp dir
 *
 * The binaries are the newest /usr/lib/postgresql/<version>/bin; it fails loudly without them. PostgreSQL refuses
 * to run as root, so as root (the tests) initdb and postgres run as the `postgres` OS user. The server listens on
 * 127.0.0.1 and on a unix socket in the temp dir only; fsync is off (a restart still checkpoints everything).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './free-port.js';
import { until } from './replicas.js';

const PG_ROOT = '/usr/lib/postgresql';
/** Fast: open transactions roll back, clients are disconnected, a checkpoint is written. Immediate: a crash, recovered at start. */
export type PostgresShutdown = 'fast' | 'immediate';
const SHUTDOWN_SIGNAL: Record<PostgresShutdown, NodeJS.Signals> = { fast: 'SIGINT', immediate: 'SIGQUIT' };

export class PrivatePostgres {
  /** the server's last lines of output, for failure messages */
  readonly log: string[] = [];
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private readonly killOnExit = () => this.child?.kill('SIGQUIT');

  private constructor(
    readonly port: number,
    readonly dir: string,
    readonly database: string,
    private readonly bin: string,
    private readonly user: { uid: number; gid: number } | undefined,
  ) {}

  /** initdb, start, and create `database` */
  static async start(database = 'chatter'): Promise<PrivatePostgres> {
    const bin = postgresBin();
    const user = process.getuid?.() === 0 ? osUser('postgres') : undefined;
    const dir = mkdtempSync(join(tmpdir(), 'chatter-pg-'));
    if (user) chownSync(dir, user.uid, user.gid);
    const server = new PrivatePostgres(await freePort(), dir, database, bin, user);
    try {
      execFileSync(join(bin, 'initdb'), ['-D', server.dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions'], {
        stdio: 'pipe',
        cwd: dir,
        ...user,
      });
      await server.start();
      await server.query('postgres', `create database ${database}`);
    } catch (error) {
      await server.destroy();
      const e = error as Error & { stderr?: Buffer };
      throw new Error(`could not set up a private PostgreSQL in ${dir}: ${e.message}${e.stderr ? `\n${e.stderr}` : ''}`);
    }
    return server;
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${this.database}`;
  }

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && !this.child.signalCode;
  }

  private get dataDir(): string {
    return join(this.dir, 'data');
  }

  /** starts the server on its port and data dir; resolves when it accepts queries */
  async start(): Promise<void> {
    if (this.running) return;
    const settings = { listen_addresses: '127.0.0.1', unix_socket_directories: this.dir, fsync: 'off', full_page_writes: 'off', max_connections: '100' };
    const args = ['-D', this.dataDir, '-p', String(this.port), ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
    const child = spawn(join(this.bin, 'postgres'), args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: this.dir, ...this.user });
    this.child = child;
    const keep = (d: Buffer) => {
      for (const line of d.toString().split('\n')) if (line.trim()) this.log.push(line);
      if (this.log.length > 500) this.log.splice(0, this.log.length - 500);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    child.once('error', (e) => this.log.push(`spawn failed: ${e.message}`));
    this.exited = new Promise((resolve) => child.once('close', () => resolve()));
    // a test process that dies without afterAll must not leave a postmaster behind
    process.removeListener('exit', this.killOnExit);
    process.once('exit', this.killOnExit);
    await until(async () => {
      if (child.exitCode !== null || child.signalCode) throw new Error(`postgres exited (${child.exitCode ?? child.signalCode}):\n${this.log.slice(-20).join('\n')}`);
      return this.query('postgres', 'select 1').then(() => true, () => false);
    }, `the private PostgreSQL on port ${this.port} to accept queries`, 30_000, 50);
  }

  /** stops the server; resolves when the postmaster has exited (the port and data dir are free again) */
  async stop(mode: PostgresShutdown = 'fast'): Promise<void> {
    const child = this.child;
    process.removeListener('exit', this.killOnExit);
    if (!child || !this.running) return;
    child.kill(SHUTDOWN_SIGNAL[mode]);
    const timer = setTimeout(() => child.kill('SIGQUIT'), 30_000);
    await this.exited;
    clearTimeout(timer);
  }

  /** a real restart: fast shutdown, `downMs` with nothing listening, start again */
  async restart(downMs = 3_000): Promise<void> {
    await this.stop('fast');
    await new Promise((r) => setTimeout(r, downMs));
    await this.start();
  }

  /** stops the server (immediately) and removes its temp dir */
  async destroy(): Promise<void> {
    await this.stop('immediate');
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async query(database: string, sql: string): Promise<void> {
    const client = new pg.Client({ host: '127.0.0.1', port: this.port, user: 'postgres', database, connectionTimeoutMillis: 2_000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query(sql);
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}

/** the newest installed version's bin dir, or a loud error */
function postgresBin(): string {
  const versions = existsSync(PG_ROOT) ? readdirSync(PG_ROOT).filter((v) => /^\d+(\.\d+)?$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  const bin = versions.map((v) => join(PG_ROOT, v, 'bin')).find((b) => existsSync(join(b, 'initdb')) && existsSync(join(b, 'postgres')));
  if (!bin) throw new Error(`no PostgreSQL server binaries (initdb, postgres) under ${PG_ROOT}/<version>/bin: apt-get install postgresql`);
  return bin;
}

function osUser(name: string): { uid: number; gid: number } {
  try {
    const [uid, gid] = ['-u', '-g'].map((flag) => Number(execFileSync('id', [flag, name], { encoding: 'utf8' }).trim()));
    return { uid, gid };
  } catch {
    throw new Error(`PostgreSQL cannot run as root and there is no \`${name}\` OS user to run it as (apt-get install postgresql creates it)`);
  }
}
