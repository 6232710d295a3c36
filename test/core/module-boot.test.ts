import { Injectable, Module } from '@nestjs/common';
import { afterEach, describe, expect, it } from 'vitest';
import { ChatterConfig, ChatterModule, type ChatterModuleOptions } from '../../lib/index.js';
import { startChatter, TEST_SECRET, type ChatterTesting } from '../support/chatter-testing.js';
import { DIALECTS } from '../support/database.js';
import { TEST_ENTITIES, Task } from '../support/test-entities.js';

const DOMAIN_SETTING = Symbol('DOMAIN_SETTING');

/** a stand-in for a host's config module */
@Module({ providers: [{ provide: DOMAIN_SETTING, useValue: 'async.example.test' }], exports: [DOMAIN_SETTING] })
class SettingsModule {}

@Injectable()
class ChatterOptionsFactory {
  createChatterOptions(): ChatterModuleOptions {
    return { domains: [{ name: 'class.example.test' }, { name: 'second.example.test', catchall: 'all' }], secret: TEST_SECRET };
  }
}

@Module({ providers: [ChatterOptionsFactory], exports: [ChatterOptionsFactory] })
class OptionsFactoryModule {}

describe.each(DIALECTS)('ChatterModule boots on %s', (dialect) => {
  let t: ChatterTesting | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  /** the chatter works once booted: a record's creation message and a post */
  async function expectWorkingChatter(h: ChatterTesting) {
    const em = h.em();
    const task = em.create(Task, { title: 'Boot check' });
    await em.persist(task).flush();
    await h.threads.post(task, { body: 'hello', author: { email: 'user@example.test', userId: 1 } });
    const page = await h.threads.messages(task);
    expect(page.map((e) => e.message.messageType)).toEqual(['comment', 'notification']);
  }

  it('with forRoot(options), filling in domain defaults', async () => {
    t = await startChatter(dialect, { entities: TEST_ENTITIES, chatter: { domains: [{ name: 'Example.Test' }] } });
    expect(t.app.get(ChatterConfig).defaultDomain).toEqual({ name: 'example.test', catchall: 'catchall', bounce: 'bounce', defaultFrom: 'notifications' });
    await expectWorkingChatter(t);
  });

  it('with forRootAsync({ imports, inject, useFactory })', async () => {
    t = await startChatter(dialect, {
      entities: TEST_ENTITIES,
      chatterModule: ChatterModule.forRootAsync({
        imports: [SettingsModule],
        inject: [DOMAIN_SETTING],
        useFactory: async (domain: string) => ({ domains: [{ name: domain, bounce: 'returns' }], secret: TEST_SECRET }),
      }),
    });
    expect(t.app.get(ChatterConfig).defaultDomain).toMatchObject({ name: 'async.example.test', bounce: 'returns' });
    await expectWorkingChatter(t);
  });

  it('with forRootAsync({ useClass })', async () => {
    t = await startChatter(dialect, { entities: TEST_ENTITIES, chatterModule: ChatterModule.forRootAsync({ useClass: ChatterOptionsFactory }) });
    const config = t.app.get(ChatterConfig);
    expect(config.domains.map((d) => d.name)).toEqual(['class.example.test', 'second.example.test']);
    expect(config.domains[1].catchall).toBe('all');
    await expectWorkingChatter(t);
  });

  it('with forRootAsync({ imports, useExisting })', async () => {
    t = await startChatter(dialect, {
      entities: TEST_ENTITIES,
      chatterModule: ChatterModule.forRootAsync({ imports: [OptionsFactoryModule], useExisting: ChatterOptionsFactory }),
    });
    expect(t.app.get(ChatterConfig).defaultDomain.name).toBe('class.example.test');
    await expectWorkingChatter(t);
  });

  it('with forFeature() listing the host entities', async () => {
    t = await startChatter(dialect, { entities: TEST_ENTITIES, imports: [ChatterModule.forFeature([Task])] });
    await expectWorkingChatter(t);
  });

  it('with forFeature() when the module is not global', async () => {
    t = await startChatter(dialect, { entities: TEST_ENTITIES, chatter: { isGlobal: false }, imports: [ChatterModule.forFeature([Task])] });
    await expectWorkingChatter(t);
  });
});
