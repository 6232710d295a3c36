import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { Module, type DynamicModule, type INestApplicationContext, type INestApplication, type Provider } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MikroORM, type EntityManager, type Options } from '@mikro-orm/core';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { CHATTER_ENTITIES, ChatterModule, ThreadService, migrateChatter, type ChatterModuleExtras, type ChatterModuleOptions } from '../../lib/index.js';
import { ormConfigFromUrl } from '../../sample-app/orm-config.js';
import { createTestDatabase, type Dialect, type TestDatabase } from './database.js';
import { jsonFetch, type JsonResponse } from './http.js';

export const TEST_SECRET = 'test-secret-0123456789';

export interface ChatterTestingOptions {
  /** the host's `@Chatter()` entities (and any other entity the ORM needs) */
  entities?: Function[];
  /** options for `ChatterModule.forRoot` (with `http: true` to mount its controller); domains and secret default to test values */
  chatter?: Partial<ChatterModuleOptions> & ChatterModuleExtras;
  /** replaces `ChatterModule.forRoot(...)`, e.g. with `ChatterModule.forRootAsync(...)` */
  chatterModule?: DynamicModule;
  /** more imports next to the ORM and the chatter (e.g. `ChatterModule.forFeature([...])`) */
  imports?: any[];
  providers?: Provider[];
  controllers?: any[];
  /** serve HTTP on a free loopback port (for controllers); default: an application context only */
  http?: boolean;
  orm?: Partial<Options>;
}

export interface ChatterTesting {
  app: INestApplicationContext;
  orm: MikroORM<any, any, any>;
  threads: ThreadService;
  db: TestDatabase;
  /** a fresh entity manager fork */
  em(): EntityManager;
  /** http://127.0.0.1:<port> when `http` was asked for */
  url?: string;
  http(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<JsonResponse>;
  close(): Promise<void>;
}

@Module({})
class ChatterTestingModule {}

/** the module a host would write: MikroORM with the chatter's entities and the host's, the chatter, and the rest */
export function chatterTestingModule(url: string, options: ChatterTestingOptions = {}): DynamicModule {
  return {
    module: ChatterTestingModule,
    imports: [
      MikroOrmModule.forRoot(ormConfigFromUrl(url, [...CHATTER_ENTITIES, ...(options.entities ?? [])], options.orm)),
      options.chatterModule ??
        ChatterModule.forRoot({ domains: [{ name: 'example.test' }], secret: TEST_SECRET, ...options.chatter } as ChatterModuleOptions),
      ...(options.imports ?? []),
    ],
    providers: [
      // the schema must exist before the chatter bootstraps (it creates its built-in subtypes then)
      {
        provide: 'CHATTER_TESTING_SCHEMA',
        useFactory: async (orm: MikroORM) => {
          await migrateChatter(orm);
          await orm.schema.update({ safe: true });
          return true;
        },
        inject: [MikroORM],
      },
      ...(options.providers ?? []),
    ],
    controllers: options.controllers ?? [],
  };
}

/**
 * Boots a minimal host on a fresh database of `dialect`: its schema from `migrateChatter` plus the schema generator
 * for the host's entities. A failing boot drops the database and rethrows the error.
 */
export async function startChatter(dialect: Dialect, options: ChatterTestingOptions = {}): Promise<ChatterTesting> {
  const db = await createTestDatabase(dialect);
  let app: INestApplicationContext | undefined;
  try {
    const module = chatterTestingModule(db.url, options);
    if (options.http) {
      const web = await NestFactory.create(module, { logger: false, abortOnError: false });
      await web.listen(0, '127.0.0.1');
      app = web;
    } else {
      app = await NestFactory.createApplicationContext(module, { logger: false, abortOnError: false });
    }
  } catch (error) {
    await app?.close().catch(() => undefined);
    await db.drop();
    throw error;
  }
  const orm: MikroORM<any, any, any> = app.get(MikroORM);
  const url = options.http ? `http://127.0.0.1:${((app as INestApplication).getHttpServer().address() as AddressInfo).port}` : undefined;
  return {
    app,
    orm,
    threads: app.get(ThreadService),
    db,
    url,
    em: () => orm.em.fork(),
    async http(method, path, body, headers) {
      if (!url) throw new Error('startChatter(): pass { http: true } to serve HTTP');
      return jsonFetch(url + path, method, body, headers);
    },
    async close() {
      await app!.close();
      await db.drop();
    },
  };
}
