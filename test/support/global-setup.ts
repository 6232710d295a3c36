import { execSync } from 'node:child_process';
import { connect } from 'node:net';

/** PostgreSQL and Redis must be running; start them the way this machine's image does, or fail loudly. */
export default async function setup(): Promise<void> {
  await ensure('PostgreSQL', 5432, 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql | head -1) main start');
  await ensure('Redis', 6379, 'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no');
}

async function ensure(name: string, port: number, start: string): Promise<void> {
  if (await listening(port)) return;
  try {
    execSync(start, { stdio: 'pipe', shell: '/bin/bash' });
  } catch (error) {
    throw new Error(`${name} is not listening on 127.0.0.1:${port} and could not be started (${start}): ${(error as Error).message}`);
  }
  for (let i = 0; i < 50; i++) {
    if (await listening(port)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${name} was started but is not listening on 127.0.0.1:${port}`);
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => { socket.end(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}
