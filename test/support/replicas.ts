import { spawn, type ChildProcess } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { freePort } from './free-port.js';

/** The compiled sample app (`npm test` / `npm run test:faults` / `npm run bench` build it first), from source or from dist. */
export const SAMPLE_APP = fileURLToPath(
  new URL(import.meta.url.includes('/dist/test/') ? '../../sample-app/main.js' : '../../dist/sample-app/main.js', import.meta.url),
);


export async function until<T>(probe: () => Promise<T | undefined | false> | T | undefined | false, what: string, timeoutMs = 60_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** One sample-app process on its own port (the fault suite's replicas, the queue benchmarks' workers); its output is kept for when a test fails. */
export class Replica {
  readonly log: string[] = [];
  private child: ChildProcess | undefined;
  exited: Promise<number | null> = Promise.resolve(null);

  constructor(
    readonly name: string,
    readonly port: number,
    private readonly env: Record<string, string>,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** started and not exited (a replica that crashed on a fault shows here) */
  get running(): boolean {
    return !!this.child && this.child.exitCode === null && !this.child.signalCode;
  }

  async start(): Promise<void> {
    const child = spawn(process.execPath, [SAMPLE_APP], {
      env: { PATH: process.env.PATH ?? '', ...this.env, PORT: String(this.port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const keep = (d: Buffer) => {
      for (const line of d.toString().split('\n')) if (line.trim()) this.log.push(line);
      if (this.log.length > 2000) this.log.splice(0, this.log.length - 2000);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    await until(async () => {
      if (child.exitCode !== null) throw new Error(`replica ${this.name} exited with ${child.exitCode}:\n${this.log.slice(-30).join('\n')}`);
      try {
        return (await fetch(`${this.url}/health`)).ok;
      } catch {
        return false;
      }
    }, `replica ${this.name} to answer /health`, 60_000, 100);
  }

  kill(signal: NodeJS.Signals): void {
    this.child?.kill(signal);
  }

  async stop(): Promise<number | null> {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode) return this.child?.exitCode ?? null;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), 20_000);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }

  async http(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
    const res = await fetch(this.url + path, {
      method,
      headers: { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }
}

/** A private redis-server on a free port (the machine's shared Redis is left alone); restartable on the same port. */
export class PrivateRedis {
  private child: ChildProcess | undefined;
  private constructor(readonly port: number) {}

  static async start(): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort());
    await redis.start();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    child.once('error', () => undefined);
    this.child = child;
    await until(() => listening(this.port), 'redis-server to listen', 10_000, 50);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
}

export function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.end();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Replicas `names` of the sample app on free ports with one environment, started: the first alone (it creates the
 * schema), then the others together on it.
 */
export async function startReplicas(names: string[], env: Record<string, string>): Promise<Replica[]> {
  const replicas = await Promise.all(names.map(async (name) => new Replica(name, await freePort(), env)));
  await replicas[0].start();
  await Promise.all(replicas.slice(1).map((r) => r.start()));
  return replicas;
}
