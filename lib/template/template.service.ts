import { BadRequestException, Injectable, Logger, NotFoundException, type OnApplicationBootstrap } from '@nestjs/common';
import { MikroORM, wrap, type EntityManager } from '@mikro-orm/core';
import { ChatterConfig } from '../chatter.config.js';
import type { MailTemplateOptions } from '../chatter.options.js';
import { MailTemplate } from '../entities/mail-template.entity.js';
import type { Message } from '../entities/message.entity.js';
import type { Partner } from '../entities/partner.entity.js';
import { ModelRegistry } from '../model-registry.js';
import { sanitizeBody } from '../thread/html.js';
import { PartnerService, type PartnerLike } from '../thread/partner.service.js';
import { ThreadService, type ThreadTarget } from '../thread/thread.service.js';
import { TemplateEngine, TemplateError, templateData } from './template-engine.js';

/** What a template renders to: a plain-text subject and a sanitized HTML body. */
export interface RenderedMail {
  subject: string;
  body: string;
}

export interface RenderOptions {
  /** shown to the template as `author` ({ name, email }) */
  author?: Partner | null;
  /** extra values, shown to the template as `ctx` (JSON only) */
  context?: Record<string, unknown>;
}

export interface SendWithTemplateOptions {
  /** who gets the mail besides the followers (Odoo's composer recipients) */
  recipients?: PartnerLike[];
  /** default: the current actor */
  author?: PartnerLike | null;
  context?: Record<string, unknown>;
}

/**
 * Email templates (Odoo's `mail.template`): named per model, `subject` and `body` rendered from the record in a
 * Liquid sandbox. Variables: `object` (the record's fields as JSON), `record_name`, `model`, `author`, `ctx`.
 * `sendWithTemplate` posts the rendered mail as a comment and notifies the chosen recipients with the followers.
 */
@Injectable()
export class TemplateService implements OnApplicationBootstrap {
  private readonly logger = new Logger('ChatterTemplates');
  readonly engine: TemplateEngine;

  constructor(
    private readonly orm: MikroORM,
    private readonly config: ChatterConfig,
    private readonly models: ModelRegistry,
    private readonly partners: PartnerService,
    private readonly threads: ThreadService,
  ) {
    this.engine = new TemplateEngine(config.activities.timeZone);
  }

  async onApplicationBootstrap(): Promise<void> {
    const em = this.orm.em.fork();
    for (const spec of this.config.templates) {
      if (await em.findOne(MailTemplate, { name: spec.name, resModel: spec.model ?? null })) continue;
      em.persist(em.create(MailTemplate, this.validated(spec)));
    }
    await em.flush();
  }

  /** Creates or replaces the template `name` of `model`; a template that does not parse is refused (400). */
  async save(spec: MailTemplateOptions): Promise<MailTemplate> {
    const values = this.validated(spec);
    const em = this.orm.em.fork();
    const existing = await em.findOne(MailTemplate, { name: values.name, resModel: values.resModel });
    if (existing) {
      existing.subject = values.subject;
      existing.body = values.body;
      await em.flush();
      return existing;
    }
    const template = em.create(MailTemplate, values);
    await em.persist(template).flush();
    return template;
  }

  /** the templates usable on `model` (its own and the general ones), by name */
  list(model?: string): Promise<MailTemplate[]> {
    const where = model ? { $or: [{ resModel: null }, { resModel: model }] } : {};
    return this.orm.em.fork().find(MailTemplate, where, { orderBy: { name: 'asc', id: 'asc' } });
  }

  /** the template `name` for `model`: the model's own first, then a general one; 404 when there is none */
  async find(model: string, name: string, em: EntityManager = this.orm.em.fork()): Promise<MailTemplate> {
    const found = await em.find(MailTemplate, { name, $or: [{ resModel: null }, { resModel: model }] });
    const template = found.find((t) => t.resModel === model) ?? found[0];
    if (!template) throw new NotFoundException(`no template "${name}" for ${model}`);
    return template;
  }

  async remove(id: number): Promise<void> {
    const removed = await this.orm.em.fork().nativeDelete(MailTemplate, { id });
    if (removed === 0) throw new NotFoundException(`template ${id} not found`);
  }

  /**
   * Renders a template (an entity, or `{ subject, body }` sources) from a record. A template that fails to render
   * is a 400 with the engine's message; nothing it does can reach past its data.
   */
  async render(template: Pick<MailTemplate, 'subject' | 'body'>, target: ThreadTarget, options: RenderOptions = {}): Promise<RenderedMail> {
    const ref = this.models.ref(target);
    const em = this.orm.em.fork();
    const record = isPlainRef(target) ? await this.models.load(em, ref) : target;
    const model = this.models.get(ref.model);
    const data = {
      object: templateData(wrap(record, true).toObject()),
      record_name: this.models.displayName(model, record),
      model: ref.model,
      id: ref.id,
      author: options.author ? { name: options.author.name, email: options.author.email } : null,
      ctx: templateData(options.context ?? {}),
    };
    try {
      const subject = (await this.engine.render(template.subject ?? '', 'text', data)).replace(/[\r\n]+/g, ' ').trim().slice(0, 998);
      const body = sanitizeBody(await this.engine.render(template.body ?? '', 'html', data));
      return { subject, body };
    } catch (error) {
      if (error instanceof TemplateError) throw new BadRequestException(`template cannot be rendered: ${error.message}`);
      throw error;
    }
  }

  /**
   * "Send with template": renders `templateName` for the record, posts it in the thread as a comment and notifies the
   * recipients (and the record's followers, as any comment does). Returns the posted message.
   */
  async sendWithTemplate(target: ThreadTarget, templateName: string, options: SendWithTemplateOptions = {}): Promise<Message> {
    const ref = this.models.ref(target);
    const em = this.orm.em.fork();
    await this.models.load(em, ref);
    const template = await this.find(ref.model, templateName, em);
    const recipients = await Promise.all((options.recipients ?? []).map((who) => this.partners.resolve(em, who)));
    const author = options.author === null ? null : options.author !== undefined ? await this.partners.resolve(em, options.author) : await this.actor(em);
    await em.flush();
    const mail = await this.render(template, target, { author, context: options.context });
    if (!mail.body) throw new BadRequestException(`template "${templateName}" renders an empty body for ${ref.model} ${ref.id}`);
    return this.threads.post(ref, {
      type: 'comment',
      subject: mail.subject || undefined,
      body: mail.body,
      author,
      partnerIds: recipients.map((p) => p.id),
    });
  }

  private async actor(em: EntityManager): Promise<Partner | null> {
    const actor = this.partners.currentActor();
    return actor ? this.partners.resolve(em, actor) : null;
  }

  private validated(spec: MailTemplateOptions): { name: string; resModel: string | null; subject: string; body: string } {
    if (!spec || typeof spec.name !== 'string' || !spec.name.trim() || spec.name.length > 128) throw new BadRequestException('a template needs a name (at most 128 characters)');
    if (spec.model !== undefined && spec.model !== null) this.models.get(spec.model);
    if (typeof spec.body !== 'string') throw new BadRequestException(`template "${spec.name}": body must be a string`);
    if (spec.subject !== undefined && typeof spec.subject !== 'string') throw new BadRequestException(`template "${spec.name}": subject must be a string`);
    try {
      this.engine.parse(spec.subject ?? '', 'text');
      this.engine.parse(spec.body, 'html');
    } catch (error) {
      throw new BadRequestException(`template "${spec.name}" does not parse: ${(error as Error).message}`);
    }
    return { name: spec.name.trim(), resModel: spec.model ?? null, subject: spec.subject ?? '', body: spec.body };
  }
}

function isPlainRef(value: object): boolean {
  return Object.getPrototypeOf(value) === Object.prototype && 'model' in value && 'id' in value;
}
