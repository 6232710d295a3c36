import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export type Dialect = 'sqlite' | 'postgresql';
export const DIALECTS: Dialect[] = ['sqlite', 'postgresql'];

/** The PostgreSQL server tests use; it must be running (CI's machine has it, `.ci/run` checks it). */
export const PG_ADMIN_URL = process.env.CHATTER_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDatabase {
  dialect: Dialect;
  /** a DATABASE_URL for the sample app: a file path for SQLite, a postgres:// URL */
  url: string;
  drop(): Promise<void>;
}

/** A fresh, empty database of its own: a temp SQLite file, or a new PostgreSQL database. */
export async function createTestDatabase(dialect: Dialect): Promise<TestDatabase> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'chatter-db-'));
    return { dialect, url: join(dir, 'chatter.sqlite'), drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const name = `chatter_t_${process.pid}_${randomBytes(4).toString('hex')}`;
  await admin(async (client) => {
    await client.query(`create database ${name}`);
  });
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    dialect,
    url: url.toString(),
    drop: () => admin(async (client) => {
      await client.query(`drop database if exists ${name} with (force)`);
    }),
  };
}

async function admin(work: (client: pg.Client) => Promise<void>): Promise<void> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(`PostgreSQL is required for the tests at ${PG_ADMIN_URL} and did not answer: ${(error as Error).message}`);
  }
  try {
    await work(client);
  } finally {
    await client.end();
  }
}
