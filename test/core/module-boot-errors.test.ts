import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { describe, expect, it } from 'vitest';
import { Chatter, ChatterModule } from '../../lib/index.js';
import { startChatter, type ChatterTestingOptions } from '../support/chatter-testing.js';
import { TEST_ENTITIES, Project, Task } from '../support/test-entities.js';

@Chatter({ model: 'task' })
@Entity({ tableName: 'test_task_twin' })
class TaskTwin {
  @PrimaryKey({ type: 'integer' })
  id!: number;
}

@Chatter({ model: 'unlisted' })
@Entity({ tableName: 'test_unlisted' })
class Unlisted {
  @PrimaryKey({ type: 'integer' })
  id!: number;
}

@Chatter({ model: 'typo', track: ['stauts'] })
@Entity({ tableName: 'test_typo' })
class Typo {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  @Property({ type: 'string' })
  status!: string;
}

/** boots, and if that unexpectedly works, shuts down before failing the test */
async function bootError(options: ChatterTestingOptions): Promise<Error> {
  try {
    const t = await startChatter('sqlite', options);
    await t.close();
  } catch (error) {
    return error as Error;
  }
  throw new Error('the boot was expected to fail');
}

describe('ChatterModule refuses a bad setup', () => {
  it.each([
    [{ domains: [] }, /`domains` needs at least one mail domain/],
    [{ domains: [{ name: 'not a domain' }] }, /"not a domain" is not a domain name/],
    [{ secret: 'short' }, /`secret` must be a string of at least 16 characters/],
  ])('forRoot(%j) fails at boot with a clear message', async (bad, message) => {
    const error = await bootError({ entities: TEST_ENTITIES, chatter: bad as any });
    expect(error.message).toMatch(message);
  });

  it('forRootAsync fails at boot when its factory returns bad options', async () => {
    const error = await bootError({
      entities: TEST_ENTITIES,
      chatterModule: ChatterModule.forRootAsync({ useFactory: () => ({ domains: [{ name: 'example.test' }], secret: '' }) }),
    });
    expect(error.message).toMatch(/`secret` must be a string/);
  });

  it('forRootAsync fails at boot when its factory throws', async () => {
    const error = await bootError({
      entities: TEST_ENTITIES,
      chatterModule: ChatterModule.forRootAsync({
        useFactory: async () => {
          throw new Error('vault unreachable');
        },
      }),
    });
    expect(error.message).toBe('vault unreachable');
  });

  it('@Chatter() rejects a model name that cannot be one', () => {
    expect(() => Chatter({ model: '' })).toThrow(/"model" must be a name like "ticket"/);
    expect(() => Chatter({ model: 'has space' })).toThrow(/"model" must be a name/);
    expect(() => Chatter({ model: '9lives' })).toThrow(/"model" must be a name/);
  });

  it('forFeature() throws at once for a class without @Chatter()', () => {
    expect(() => ChatterModule.forFeature([Task, Project])).toThrow('ChatterModule.forFeature(): Project has no @Chatter() decorator');
  });

  it('forFeature() fails at boot for a @Chatter() entity the ORM does not know', async () => {
    const error = await bootError({ entities: TEST_ENTITIES, imports: [ChatterModule.forFeature([Task, Unlisted])] });
    expect(error.message).toBe('ChatterModule.forFeature(): Unlisted is not among the MikroORM entities; add it to the ORM config');
  });

  it('a model name used twice fails at boot, naming both entities', async () => {
    const error = await bootError({ entities: [...TEST_ENTITIES, TaskTwin] });
    expect(error.message).toMatch(/model name "task" is used by both (Task and TaskTwin|TaskTwin and Task); model names must be unique/);
  });

  it('a tracked field the entity does not have fails at boot', async () => {
    const error = await bootError({ entities: [...TEST_ENTITIES, Typo] });
    expect(error.message).toBe(`@Chatter({ model: 'typo' }): Typo has no property "stauts"`);
  });
});
