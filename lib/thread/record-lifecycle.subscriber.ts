import { Injectable, type OnModuleInit } from '@nestjs/common';
import { MikroORM, ReferenceKind, type EntityManager, type EventArgs, type EventSubscriber } from '@mikro-orm/core';
import { Activity } from '../entities/activity.entity.js';
import { Attachment } from '../entities/attachment.entity.js';
import { Follower } from '../entities/follower.entity.js';
import { Message } from '../entities/message.entity.js';
import { TrackingValue, type TrackedFieldType } from '../entities/tracking-value.entity.js';
import { ModelRegistry, type ChatterModel, type ThreadRef } from '../model-registry.js';
import { creationLogDisabled } from './creation-log.js';
import { FollowerService } from './follower.service.js';
import { PartnerService, isAssigned } from './partner.service.js';
import { ThreadService } from './thread.service.js';

/**
 * Gives `@Chatter()` records their lifecycle, inside the host's own flush transaction:
 * creation → a "created" message, the creating user and the assignee follow (only the assignee for a record created
 *   from a mail, see `withoutCreationLog`);
 * update → one `tracking` message per record with every tracked field that changed, and the new assignee follows;
 * delete → the thread goes with the record (`onDelete: 'delete'`), or its messages stay (`'orphan'`); followers never stay.
 */
@Injectable()
export class RecordLifecycleSubscriber implements EventSubscriber, OnModuleInit {
  constructor(
    private readonly orm: MikroORM,
    private readonly models: ModelRegistry,
    private readonly threads: ThreadService,
    private readonly partners: PartnerService,
    private readonly followers: FollowerService,
  ) {}

  onModuleInit(): void {
    this.orm.em.getEventManager().registerSubscriber(this);
  }

  getSubscribedEntities() {
    return this.models.all().map((m) => m.entity as any);
  }

  async afterCreate(args: EventArgs<object>): Promise<void> {
    const model = this.models.forEntity(args.entity);
    if (!model) return;
    const silent = creationLogDisabled();
    // silent, there is only an assignee to follow: a record created without one (most made from mail) needs no fork
    const assignee = model.options.assignee ? (args.entity as Record<string, unknown>)[model.options.assignee] : undefined;
    if (silent && !isAssigned(assignee)) return;
    await this.inFlushTransaction(args.em, async (em) => {
      const ref = this.models.ref(args.entity);
      if (silent) return this.followAssignee(em, model, ref, args.entity);
      const author = await this.actorPartner(em);
      await this.threads.write(em, ref, {
        type: 'notification',
        body: `<p>${escape(titleCase(model.name))} created</p>`,
        subtype: 'discussions',
        author,
        notify: false,
      });
      if (author?.isInternal) await this.followers.follow(em, ref, author);
      await this.followAssignee(em, model, ref, args.entity);
    });
  }

  async afterUpdate(args: EventArgs<object>): Promise<void> {
    const model = this.models.forEntity(args.entity);
    const changeSet = args.changeSet;
    if (!model || !changeSet) return;
    const changed = (model.options.track ?? []).filter((field) => fieldChanged(model, field, changeSet.payload, changeSet.originalEntity));
    const assigneeChanged = !!model.options.assignee && fieldChanged(model, model.options.assignee, changeSet.payload, changeSet.originalEntity);
    if (changed.length === 0 && !assigneeChanged) return;
    await this.inFlushTransaction(args.em, async (em) => {
      const ref = this.models.ref(args.entity);
      if (changed.length > 0) {
        const message = await this.threads.write(em, ref, {
          type: 'tracking',
          body: '',
          subtype: 'discussions',
          author: await this.actorPartner(em),
          notify: false,
        });
        for (const field of changed) {
          const original = (changeSet.originalEntity as Record<string, unknown> | undefined)?.[field];
          const [fieldType, oldValue] = typedValue(model, field, loadedReference(args.em, model, field, original) ?? original);
          const [, newValue] = typedValue(model, field, (args.entity as Record<string, unknown>)[field]);
          em.persist(em.create(TrackingValue, { message, field, fieldType, oldValue, newValue }));
        }
      }
      if (assigneeChanged) await this.followAssignee(em, model, ref, args.entity);
    });
  }

  async afterDelete(args: EventArgs<object>): Promise<void> {
    const model = this.models.forEntity(args.entity);
    if (!model) return;
    const pk = model.meta.primaryKeys[0];
    const id = (args.entity as Record<string, unknown>)[pk] ?? (args.changeSet?.originalEntity as Record<string, unknown> | undefined)?.[pk];
    if (id === undefined || id === null) return;
    const where = { resModel: model.name, resId: String(id) };
    const ctx = args.em.getTransactionContext();
    // rows go by SQL, not by the unit of work: the record's thread may be large and is not loaded
    await args.em.nativeDelete(Follower, where, { ctx });
    // planned work on a record that is gone is moot, whatever happens to the messages
    await args.em.nativeDelete(Activity, where, { ctx });
    if ((model.options.onDelete ?? 'delete') === 'delete') {
      await args.em.nativeDelete(Attachment, where, { ctx });
      await args.em.nativeDelete(Message, where, { ctx });
    }
  }

  /** a fork that shares the flush's transaction, so the thread commits (or rolls back) with the record */
  private async inFlushTransaction(em: EntityManager, work: (em: EntityManager) => Promise<void>): Promise<void> {
    const fork = em.fork({ clear: true, useContext: false });
    const ctx = em.getTransactionContext();
    if (ctx) fork.setTransactionContext(ctx);
    await work(fork);
    await fork.flush();
  }

  private async actorPartner(em: EntityManager) {
    const actor = this.partners.currentActor();
    return actor ? this.partners.resolve(em, actor) : null;
  }

  private async followAssignee(em: EntityManager, model: ChatterModel, ref: ThreadRef, entity: object): Promise<void> {
    if (!model.options.assignee) return;
    const user = await this.partners.resolveAssignee((entity as Record<string, unknown>)[model.options.assignee]);
    if (!user) return;
    const partner = await this.partners.resolve(em, { ...user, userId: user.userId ?? user.email });
    await this.followers.follow(em, ref, partner);
  }
}

function fieldChanged(model: ChatterModel, field: string, payload: Record<string, unknown>, original: Record<string, unknown> | undefined): boolean {
  const prop = model.meta.properties[field];
  const key = prop?.fieldNames?.length === 1 && !(field in payload) ? prop.fieldNames[0] : field;
  if (!(field in payload) && !(key in payload)) return false;
  return !sameValue(original?.[field], payload[field] ?? payload[key]);
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a instanceof Date || b instanceof Date) return new Date(a as Date).getTime() === new Date(b as Date).getTime();
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** the snapshot keeps only the id of an old reference: take the entity if this unit of work has it, for its name */
function loadedReference(em: EntityManager, model: ChatterModel, field: string, value: unknown): object | undefined {
  const prop = model.meta.properties[field];
  if (prop.kind === ReferenceKind.SCALAR || prop.kind === ReferenceKind.EMBEDDED || !prop.targetMeta) return undefined;
  if (value === null || value === undefined || typeof value === 'object') return undefined;
  return em.getUnitOfWork().getById(prop.targetMeta.class, value as never);
}

/** the value as JSON, with its type: references keep their id (and a display name when loaded) */
function typedValue(model: ChatterModel, field: string, value: unknown): [TrackedFieldType, unknown] {
  const prop = model.meta.properties[field];
  if (prop.kind !== ReferenceKind.SCALAR && prop.kind !== ReferenceKind.EMBEDDED) {
    if (value === null || value === undefined) return ['reference', null];
    if (typeof value === 'object') {
      const record = value as Record<string, unknown>;
      const id = record[prop.targetMeta?.primaryKeys[0] ?? 'id'];
      const name = record.name ?? record.title ?? record.email;
      return ['reference', name !== undefined ? { id, name } : { id }];
    }
    return ['reference', { id: value }];
  }
  if (value === null || value === undefined) return [scalarType(String(prop.type), prop.runtimeType), null];
  if (value instanceof Date) return ['date', value.toISOString()];
  switch (typeof value) {
    case 'number': return ['number', value];
    case 'boolean': return ['boolean', value];
    case 'string': return [scalarType(String(prop.type), prop.runtimeType), value];
    default: return ['json', value];
  }
}

function scalarType(type: string, runtime: string): TrackedFieldType {
  const t = `${type} ${runtime}`.toLowerCase();
  if (/date|time/.test(t)) return 'date';
  if (/int|number|float|double|decimal/.test(t)) return 'number';
  if (/bool/.test(t)) return 'boolean';
  if (/json|object/.test(t)) return 'json';
  return 'string';
}

function titleCase(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1).replace(/[_.-]+/g, ' ');
}

function escape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
