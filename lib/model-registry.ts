import { Injectable, NotFoundException } from '@nestjs/common';
import { MikroORM, type EntityMetadata } from '@mikro-orm/core';
import { getChatterOptions, type ChatterOptions } from './chatter.decorator.js';

/** A model with a chatter: its `@Chatter()` options and its ORM metadata. */
export interface ChatterModel {
  name: string;
  options: ChatterOptions;
  entity: Function;
  meta: EntityMetadata<any>;
  /** the display-name field, if any */
  nameField?: string;
}

/** A record's thread: the polymorphic link every chatter row carries. */
export interface ThreadRef {
  model: string;
  id: string;
}

/**
 * Resolves model name ↔ entity class. Built at boot from the ORM's metadata and the `@Chatter()` decorator,
 * so a duplicate model name fails the boot, and an unknown one is a 404 at run time.
 */
@Injectable()
export class ModelRegistry {
  private readonly byName = new Map<string, ChatterModel>();
  private readonly byClass = new Map<Function, ChatterModel>();

  constructor(private readonly orm: MikroORM) {
    for (const meta of orm.getMetadata().getAll().values()) {
      const entity = meta.class as Function | undefined;
      const options = entity && getChatterOptions(entity);
      if (!entity || !options) continue;
      const clash = this.byName.get(options.model);
      if (clash && clash.entity !== entity) {
        throw new Error(`@Chatter(): model name "${options.model}" is used by both ${clash.entity.name} and ${entity.name}; model names must be unique`);
      }
      for (const field of [...(options.track ?? []), options.primaryEmail, options.assignee, options.nameField]) {
        if (field && !meta.properties[field]) {
          throw new Error(`@Chatter({ model: '${options.model}' }): ${entity.name} has no property "${field}"`);
        }
      }
      if (meta.primaryKeys.length !== 1) {
        throw new Error(`@Chatter({ model: '${options.model}' }): ${entity.name} needs a single-column primary key`);
      }
      const nameField = options.nameField ?? ['name', 'subject', 'title'].find((f) => meta.properties[f]);
      const model: ChatterModel = { name: options.model, options, entity, meta, nameField };
      this.byName.set(model.name, model);
      this.byClass.set(entity, model);
    }
  }

  all(): ChatterModel[] {
    return [...this.byName.values()];
  }

  /** the model for a name; throws 404 when there is none */
  get(name: string): ChatterModel {
    const model = this.byName.get(name);
    if (!model) throw new NotFoundException(`unknown chatter model "${name}"`);
    return model;
  }

  find(name: string): ChatterModel | undefined {
    return this.byName.get(name);
  }

  /** the model of an entity instance or class, if it has a chatter */
  forEntity(entity: object | Function): ChatterModel | undefined {
    let cls: Function | null = typeof entity === 'function' ? entity : entity.constructor;
    while (cls && cls !== Object) {
      const model = this.byClass.get(cls);
      if (model) return model;
      cls = Object.getPrototypeOf(cls);
    }
    return undefined;
  }

  /** `record | {model, id}` → the thread link */
  ref(target: object | ThreadRef): ThreadRef {
    if (isThreadRef(target)) {
      this.get(target.model);
      return { model: target.model, id: String(target.id) };
    }
    const model = this.forEntity(target);
    if (!model) throw new Error(`${target.constructor.name} is not a @Chatter() entity`);
    const id = (target as Record<string, unknown>)[model.meta.primaryKeys[0]];
    if (id === undefined || id === null) throw new Error(`${target.constructor.name} has no id yet: flush it before using its thread`);
    return { model: model.name, id: String(id) };
  }

  /** loads the record a thread belongs to, or throws 404 */
  async load(em: import('@mikro-orm/core').EntityManager, ref: ThreadRef): Promise<object> {
    const model = this.get(ref.model);
    const record = await em.findOne(model.entity as any, { [model.meta.primaryKeys[0]]: coercePk(model, ref.id) } as any);
    if (!record) throw new NotFoundException(`${ref.model} ${ref.id} not found`);
    return record;
  }

  displayName(model: ChatterModel, record: object): string {
    const value = model.nameField ? (record as Record<string, unknown>)[model.nameField] : undefined;
    return value == null || value === '' ? `${model.name} #${this.ref(record).id}` : String(value);
  }
}

function isThreadRef(value: object | ThreadRef): value is ThreadRef {
  return Object.getPrototypeOf(value) === Object.prototype && 'model' in value && 'id' in value;
}

/** URL ids are strings; numeric primary keys need a number for a portable query */
export function coercePk(model: ChatterModel, id: string): string | number {
  const prop = model.meta.properties[model.meta.primaryKeys[0]];
  const numeric = ['integer', 'number', 'int', 'smallint', 'bigint'].includes(String(prop.type).toLowerCase()) || prop.runtimeType === 'number';
  if (!numeric) return id;
  const n = Number(id);
  if (!Number.isSafeInteger(n)) throw new NotFoundException(`${model.name} ${id} not found`);
  return n;
}
