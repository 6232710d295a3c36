import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { MikroORM, type EventArgs, type EventSubscriber, type TransactionEventArgs } from '@mikro-orm/core';
import { Attachment } from '../entities/attachment.entity.js';
import { ModelRegistry } from '../model-registry.js';
import { AttachmentService } from './attachment.service.js';

/**
 * Deleting a record deletes its attachment rows by SQL (see RecordLifecycleSubscriber); the bytes kept outside the
 * database must go too, but only once that delete is committed: their keys are read before the delete and the files
 * removed after the commit. On rollback nothing is removed; in a nested transaction (savepoint) the files are kept,
 * as an outer rollback could still bring the rows back (orphan files are harmless, missing ones are not).
 */
@Injectable()
export class AttachmentFileReaper implements EventSubscriber, OnModuleInit {
  private readonly logger = new Logger('ChatterAttachments');
  private readonly pending = new Map<object, string[]>();

  constructor(
    private readonly orm: MikroORM,
    private readonly models: ModelRegistry,
    private readonly attachments: AttachmentService,
  ) {}

  onModuleInit(): void {
    this.orm.em.getEventManager().registerSubscriber(this);
  }

  getSubscribedEntities() {
    return this.models.all().map((m) => m.entity as any);
  }

  async beforeDelete(args: EventArgs<object>): Promise<void> {
    const model = this.models.forEntity(args.entity);
    if (!model || (model.options.onDelete ?? 'delete') !== 'delete' || this.attachments.storage.kind === 'database') return;
    const id = (args.entity as Record<string, unknown>)[model.meta.primaryKeys[0]];
    if (id === undefined || id === null) return;
    const ctx = args.em.getTransactionContext();
    const fork = args.em.fork({ clear: true, useContext: false });
    if (ctx) fork.setTransactionContext(ctx);
    const rows = await fork.find(Attachment, { resModel: model.name, resId: String(id), storageKey: { $ne: null } });
    const keys = rows.map((r) => r.storageKey!).filter(Boolean);
    if (keys.length === 0) return;
    if (!ctx) {
      // no transaction: the delete that follows commits at once
      queueMicrotask(() => void this.remove(keys));
      return;
    }
    this.pending.set(ctx, [...(this.pending.get(ctx) ?? []), ...keys]);
  }

  async afterTransactionCommit(args: TransactionEventArgs): Promise<void> {
    const ctx = args.transaction;
    if (!ctx) return;
    const keys = this.pending.get(ctx);
    if (!keys) return;
    this.pending.delete(ctx);
    if (!ctx.savepointName) await this.remove(keys);
  }

  afterTransactionRollback(args: TransactionEventArgs): void {
    if (args.transaction) this.pending.delete(args.transaction);
  }

  private async remove(keys: string[]): Promise<void> {
    try {
      await this.attachments.deleteStored(keys);
    } catch (error) {
      this.logger.warn(`could not remove ${keys.length} attachment file(s) of a deleted record: ${(error as Error).message}`);
    }
  }
}
