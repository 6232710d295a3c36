import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { assertConformingEmlDirectory } from './mime-conformance.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootstrap } from '../../sample-app/main.js';
import { createTestDatabase, type Dialect, type TestDatabase } from './database.js';
import { jsonFetch, type JsonResponse } from './http.js';

export interface TestApp {
  app: INestApplication;
  db: TestDatabase;
  /** http://127.0.0.1:<port> */
  url: string;
  /** fetch against the app with JSON in and out */
  http(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<JsonResponse>;
  close(): Promise<void>;
}

/** The sample app, booted in this process on a fresh database of `dialect`, on a free port. */
export async function startTestApp(dialect: Dialect, env: Record<string, string> = {}): Promise<TestApp> {
  const db = await createTestDatabase(dialect);
  // without SMTP_URL the sample app writes .eml files: into a folder of this test, never the repo's ./var
  const outbox = mkdtempSync(join(tmpdir(), 'chatter-outbox-'));
  let app: INestApplication | undefined;
  try {
    app = await bootstrap({ ...process.env, PORT: '0', DATABASE_URL: db.url, CHATTER_SECRET: 'test-secret-0123456789', SMTP_LISTEN: '127.0.0.1:0', CHATTER_OUTBOX_DIR: outbox, ...env }, { logger: false });
  } catch (error) {
    await db.drop();
    rmSync(outbox, { recursive: true, force: true });
    throw error;
  }
  const { port } = app.getHttpServer().address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    app,
    db,
    url,
    http: (method, path, body, headers) => jsonFetch(url + path, method, body, headers),
    async close() {
      await app!.close();
      await db.drop();
      try {
        await assertConformingEmlDirectory(outbox, 'the sample app\'s outbox folder');
      } finally {
        rmSync(outbox, { recursive: true, force: true });
      }
    },
  };
}
