import { BadRequestException, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { MikroORM, type EntityManager } from '@mikro-orm/core';
import { BUILTIN_SUBTYPES, Subtype, type BuiltinSubtype } from '../entities/subtype.entity.js';
import { runNative } from '../schema/native-query.js';

/** The built-in subtypes (Discussions, Note, Activities), created at boot when missing, and subtype look-ups. */
@Injectable()
export class SubtypeService implements OnApplicationBootstrap {
  private readonly builtinIds = new Map<BuiltinSubtype, number>();

  constructor(private readonly orm: MikroORM) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.ensureBuiltins();
  }

  /** creates missing built-ins; safe to call again (e.g. after a test resets the schema) */
  async ensureBuiltins(): Promise<void> {
    const em = this.orm.em.fork();
    for (const [key, spec] of Object.entries(BUILTIN_SUBTYPES) as [BuiltinSubtype, (typeof BUILTIN_SUBTYPES)[BuiltinSubtype]][]) {
      let subtype = await em.findOne(Subtype, { name: spec.name, resModel: null });
      if (!subtype) {
        subtype = em.create(Subtype, { ...spec, resModel: null });
        await em.persist(subtype).flush();
      }
      this.builtinIds.set(key, subtype.id);
    }
  }

  builtin(em: EntityManager, key: BuiltinSubtype): Subtype {
    const id = this.builtinIds.get(key);
    if (id === undefined) throw new Error('chatter subtypes are not loaded yet (the application has not bootstrapped)');
    return em.getReference(Subtype, id);
  }

  /** `defaultIds`' subtypes, as references (a follower's subtypes need only their ids) */
  async defaults(em: EntityManager, model: string, internalPartner: boolean): Promise<Subtype[]> {
    return (await this.defaultIds(em, model, internalPartner)).map((id) => em.getReference(Subtype, id));
  }

  /**
   * The ids of the subtypes a new follower gets: the default ones for the model, without internal ones for customers.
   * Plain rows: an inbound batch asks once per model, and the ORM's query cost ~1 ms each time.
   */
  async defaultIds(em: EntityManager, model: string, internalPartner: boolean): Promise<number[]> {
    const rows = await runNative<{ id: number | string; internal: unknown }>(
      em,
      'select id, internal from chatter_subtype where is_default = ? and (res_model is null or res_model = ?) order by sequence, id',
      [true, model],
    );
    return rows.filter((s) => internalPartner || !s.internal).map((s) => Number(s.id));
  }

  /** subtypes by name, for the model; throws on an unknown name */
  async byNames(em: EntityManager, model: string, names: string[]): Promise<Subtype[]> {
    const found = await em.find(Subtype, { name: { $in: names }, $or: [{ resModel: null }, { resModel: model }] });
    const missing = names.filter((n) => !found.some((s) => s.name === n));
    if (missing.length) throw new BadRequestException(`unknown subtype(s): ${missing.join(', ')}`);
    return found;
  }
}
