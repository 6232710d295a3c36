import { BadRequestException, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { MikroORM, type EntityManager } from '@mikro-orm/core';
import { ChatterConfig } from '../chatter.config.js';
import type { ActivityTypeOptions } from '../chatter.options.js';
import { ActivityType, BUILTIN_ACTIVITY_TYPES } from '../entities/activity-type.entity.js';

/** An activity type as callers name it: the entity, its id, or its name ("To-Do", "Call", or one of the host's). */
export type ActivityTypeRef = ActivityType | number | string;

/**
 * The activity types: the built-ins (To-Do, Email, Call, Meeting) and the host's (from `activities.types`),
 * created at boot when missing — like the built-in subtypes. An existing type is left as it is (it may have been edited).
 */
@Injectable()
export class ActivityTypeService implements OnApplicationBootstrap {
  constructor(
    private readonly orm: MikroORM,
    private readonly config: ChatterConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.ensureTypes();
  }

  /** creates the missing built-in and configured types; safe to call again */
  async ensureTypes(): Promise<void> {
    const em = this.orm.em.fork();
    const wanted: ActivityTypeOptions[] = [...Object.values(BUILTIN_ACTIVITY_TYPES), ...this.config.activities.types];
    for (const [index, spec] of wanted.entries()) {
      const resModel = spec.model ?? null;
      if (await em.findOne(ActivityType, { name: spec.name, resModel })) continue;
      em.persist(em.create(ActivityType, {
        name: spec.name,
        resModel,
        delayDays: spec.delayDays ?? 0,
        summary: spec.summary ?? null,
        sequence: 'sequence' in spec ? (spec as { sequence: number }).sequence : 100 + index,
      }));
    }
    await em.flush();
  }

  /** Adds a type (or returns the existing one of that name and model). */
  async create(options: ActivityTypeOptions): Promise<ActivityType> {
    if (!options?.name?.trim()) throw new BadRequestException('an activity type needs a name');
    if (options.delayDays !== undefined && (!Number.isInteger(options.delayDays) || options.delayDays < 0)) {
      throw new BadRequestException('delayDays must be a whole number of days ≥ 0');
    }
    const em = this.orm.em.fork();
    const resModel = options.model ?? null;
    const existing = await em.findOne(ActivityType, { name: options.name.trim(), resModel });
    if (existing) return existing;
    const type = em.create(ActivityType, { name: options.name.trim(), resModel, delayDays: options.delayDays ?? 0, summary: options.summary ?? null, sequence: 200 });
    await em.persist(type).flush();
    return type;
  }

  /** the active types offered on `model` (its own and the general ones), in display order */
  list(model?: string): Promise<ActivityType[]> {
    const em = this.orm.em.fork();
    const where = model ? { active: true, $or: [{ resModel: null }, { resModel: model }] } : { active: true };
    return em.find(ActivityType, where, { orderBy: { sequence: 'asc', id: 'asc' } });
  }

  /** the type `ref` names for `model`; a name prefers the model's own type over a general one of the same name */
  async resolve(em: EntityManager, ref: ActivityTypeRef, model: string): Promise<ActivityType> {
    if (ref instanceof ActivityType) return ref;
    if (typeof ref === 'number') {
      const found = await em.findOne(ActivityType, { id: ref, $or: [{ resModel: null }, { resModel: model }] });
      if (!found) throw new BadRequestException(`activity type ${ref} does not exist for ${model}`);
      return found;
    }
    if (typeof ref !== 'string' || !ref.trim()) throw new BadRequestException('type must be an activity type id or name');
    const found = await em.find(ActivityType, { name: ref.trim(), $or: [{ resModel: null }, { resModel: model }] });
    const type = found.find((t) => t.resModel === model) ?? found[0];
    if (!type) throw new BadRequestException(`unknown activity type "${ref}" for ${model}`);
    return type;
  }
}
