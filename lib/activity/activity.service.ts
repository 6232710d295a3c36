import { BadRequestException, Injectable, NotFoundException } from '@nestjs/common';
import { MikroORM, type EntityManager } from '@mikro-orm/core';
import { ChatterConfig } from '../chatter.config.js';
import { Activity } from '../entities/activity.entity.js';
import type { Message } from '../entities/message.entity.js';
import { Partner } from '../entities/partner.entity.js';
import { ModelRegistry, type ThreadRef } from '../model-registry.js';
import { sanitizeBody, textToHtml } from '../thread/html.js';
import { PartnerService, type PartnerLike, normalizeEmail } from '../thread/partner.service.js';
import { ThreadService, type ThreadTarget } from '../thread/thread.service.js';
import { activityState, addDays, daysBetween, parseDeadline, todayIn, type ActivityState } from './activity-dates.js';
import { ActivityTypeService, type ActivityTypeRef } from './activity-type.service.js';

export interface ScheduleOptions {
  type: ActivityTypeRef;
  /** default: the type's summary */
  summary?: string;
  /** HTML, sanitized */
  note?: string;
  /** `YYYY-MM-DD` or a Date (its day in the configured time zone); default: today + the type's delay */
  deadline?: string | Date;
  /** a host user (partners without a user cannot be assigned) */
  assignee: PartnerLike;
  /** who schedules it; default: the current actor */
  author?: PartnerLike | null;
}

/** which day is "today": the configured time zone and the current time unless told otherwise (reports, tests) */
export interface ActivityClock {
  timeZone?: string;
  now?: Date;
}

/** An activity with its state on the day it was read. */
export interface PlannedActivity {
  activity: Activity;
  state: ActivityState;
  /** days to the deadline from today (negative: overdue) */
  daysLeft: number;
}

/**
 * Activities on records (Odoo's `mail.activity`): schedule one for a user, reschedule, cancel, or mark it done —
 * which posts an `activity` message with the feedback in the record's thread and removes the activity,
 * in one transaction. The assignee hears about a new activity as they hear about messages (inbox or email).
 */
@Injectable()
export class ActivityService {
  constructor(
    private readonly orm: MikroORM,
    private readonly config: ChatterConfig,
    private readonly models: ModelRegistry,
    private readonly partners: PartnerService,
    private readonly threads: ThreadService,
    private readonly types: ActivityTypeService,
  ) {}

  async schedule(target: ThreadTarget, options: ScheduleOptions, clock: ActivityClock = {}): Promise<Activity> {
    const ref = this.models.ref(target);
    if (!options || options.assignee === undefined || options.assignee === null) throw new BadRequestException('assignee is required');
    const [activity, notice] = await this.orm.em.fork().transactional(async (em): Promise<[Activity, Message | null]> => {
      const record = await this.models.load(em, ref);
      const type = await this.types.resolve(em, options.type, ref.model);
      const assignee = await this.partners.resolve(em, options.assignee);
      if (!assignee.isInternal) throw new BadRequestException(`${assignee.email} is not a user: activities are assigned to users`);
      const author = await this.authorFor(em, options.author);
      const timeZone = clock.timeZone ?? this.config.activities.timeZone;
      const deadline = options.deadline === undefined ? addDays(todayIn(timeZone, clock.now), type.delayDays) : parseDeadline(options.deadline, timeZone);
      const summary = (options.summary ?? type.summary ?? '').trim().slice(0, 256) || null;
      const activity = em.create(Activity, {
        resModel: ref.model,
        resId: ref.id,
        activityType: type,
        summary,
        note: options.note ? sanitizeBody(options.note) : '',
        deadline,
        assignee,
        createdBy: author,
      });
      em.persist(activity);
      // Odoo tells the assignee, unless they assigned it to themselves
      const notice = assignee === author ? null : await this.notifyAssignee(em, ref, record, activity, author);
      return [activity, notice];
    });
    if (notice) this.threads.committed(notice);
    return activity;
  }

  /** Moves the deadline. */
  async reschedule(id: number, deadline: string | Date, clock: ActivityClock = {}): Promise<Activity> {
    const em = this.orm.em.fork();
    const activity = await this.load(em, id);
    activity.deadline = parseDeadline(deadline, clock.timeZone ?? this.config.activities.timeZone);
    await em.flush();
    return activity;
  }

  /**
   * Marks the activity done: posts an `activity` message (subtype Activities, internal) naming the type, the summary,
   * the note and the feedback, and removes the activity — one transaction. Returns the message.
   * The author is the current actor, else the assignee.
   */
  async markDone(id: number, feedback?: string, options: { author?: PartnerLike | null } = {}): Promise<Message> {
    if (feedback !== undefined && feedback !== null && typeof feedback !== 'string') throw new BadRequestException('feedback must be text');
    const message = await this.orm.em.fork().transactional(async (em) => {
      const activity = await this.load(em, id);
      // delete first: of two concurrent calls only one removes the row, the other fails before posting
      if ((await em.nativeDelete(Activity, { id })) === 0) throw new NotFoundException(`activity ${id} not found`);
      const ref = { model: activity.resModel, id: activity.resId };
      const author = (await this.authorFor(em, options.author)) ?? activity.assignee;
      return this.threads.write(em, ref, {
        type: 'activity',
        subtype: 'activities',
        body: doneBody(activity, feedback),
        author,
        isInternal: true,
      });
    });
    this.threads.committed(message);
    return message;
  }

  /** Removes the activity without a trace in the thread (Odoo's "Cancel"). */
  async cancel(id: number): Promise<void> {
    const removed = await this.orm.em.fork().nativeDelete(Activity, { id });
    if (removed === 0) throw new NotFoundException(`activity ${id} not found`);
  }

  async get(id: number, clock: ActivityClock = {}): Promise<PlannedActivity> {
    return this.withState([await this.load(this.orm.em.fork(), id)], clock)[0];
  }

  /** A user's activities on every record, soonest deadline first; `states` keeps only some (e.g. overdue and today). */
  async activitiesFor(assignee: PartnerLike, options: ActivityClock & { states?: ActivityState[] } = {}): Promise<PlannedActivity[]> {
    const em = this.orm.em.fork();
    const partnerId = await this.existingPartnerId(em, assignee);
    if (partnerId === null) return [];
    const today = todayIn(options.timeZone ?? this.config.activities.timeZone, options.now);
    const deadline = options.states && !options.states.includes('planned') ? { deadline: { [options.states.includes('today') ? '$lte' : '$lt']: today } } : {};
    const rows = await em.find(
      Activity,
      { assignee: partnerId, ...deadline },
      { orderBy: { deadline: 'asc', id: 'asc' }, populate: ['activityType', 'assignee', 'createdBy'] },
    );
    return this.withState(rows, options).filter((a) => !options.states || options.states.includes(a.state));
  }

  /** The activities planned on a record, soonest deadline first; 404 for an unknown record. */
  async activitiesOf(target: ThreadTarget, clock: ActivityClock = {}): Promise<PlannedActivity[]> {
    const ref = this.models.ref(target);
    const em = this.orm.em.fork();
    await this.models.load(em, ref);
    const rows = await em.find(
      Activity,
      { resModel: ref.model, resId: ref.id },
      { orderBy: { deadline: 'asc', id: 'asc' }, populate: ['activityType', 'assignee', 'createdBy'] },
    );
    return this.withState(rows, clock);
  }

  withState(rows: Activity[], clock: ActivityClock = {}): PlannedActivity[] {
    const today = todayIn(clock.timeZone ?? this.config.activities.timeZone, clock.now);
    return rows.map((activity) => ({ activity, state: activityState(activity.deadline, today), daysLeft: daysBetween(today, activity.deadline) }));
  }


  private async load(em: EntityManager, id: number): Promise<Activity> {
    if (!Number.isSafeInteger(id)) throw new NotFoundException(`activity ${id} not found`);
    const activity = await em.findOne(Activity, id, { populate: ['activityType', 'assignee', 'createdBy'] });
    if (!activity) throw new NotFoundException(`activity ${id} not found`);
    return activity;
  }

  /**
   * Tells the assignee through the normal recipient rules: an internal `notification` message on the record that
   * names only them (no follower is notified), so they get an inbox notification or an email by their preference.
   */
  private notifyAssignee(em: EntityManager, ref: ThreadRef, record: object, activity: Activity, author: Partner | null): Promise<Message> {
    const model = this.models.get(ref.model);
    const recordName = this.models.displayName(model, record);
    const what = activity.summary ? `${activity.activityType.name}: ${activity.summary}` : activity.activityType.name;
    const by = author ? `${escapeHtml(author.name)} assigned you` : 'You have been assigned';
    return this.threads.write(em, ref, {
      type: 'notification',
      subtype: null,
      subject: `${recordName}: ${what} assigned to you`,
      body:
        `<p>${by} an activity: <b>${escapeHtml(what)}</b> on ${escapeHtml(recordName)}, due ${activity.deadline}.</p>` +
        (activity.note ? `<div>${activity.note}</div>` : ''),
      author,
      isInternal: true,
      mentioned: [activity.assignee],
    });
  }

  private async authorFor(em: EntityManager, author: PartnerLike | null | undefined): Promise<Partner | null> {
    if (author === null) return null;
    if (author !== undefined) return this.partners.resolve(em, author);
    const actor = this.partners.currentActor();
    return actor ? this.partners.resolve(em, actor) : null;
  }

  /** the id of an existing partner, without creating one */
  private async existingPartnerId(em: EntityManager, who: PartnerLike): Promise<number | null> {
    if (who instanceof Partner) return who.id;
    if (typeof who === 'number') return who;
    if (!who?.email) throw new BadRequestException('assignee must be a partner, a partner id or an email');
    const partner = await em.findOne(Partner, { email: normalizeEmail(who.email) });
    return partner?.id ?? null;
  }
}

/** Odoo's "To-Do done: summary", the note, then the feedback */
function doneBody(activity: Activity, feedback: string | undefined): string {
  const summary = activity.summary ? `: <b>${escapeHtml(activity.summary)}</b>` : '';
  let html = `<p><span class="o_mail_activity_type">${escapeHtml(activity.activityType.name)}</span> done${summary}</p>`;
  if (activity.note) html += `<div class="o_mail_activity_note">${activity.note}</div>`;
  if (feedback?.trim()) html += `<div class="o_mail_activity_feedback"><p><b>Feedback:</b></p>${textToHtml(feedback.trim())}</div>`;
  return html;
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
