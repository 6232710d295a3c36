import { Injectable, Logger, Optional, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { MikroORM } from '@mikro-orm/core';
import { ChatterConfig } from '../chatter.config.js';
import { Activity } from '../entities/activity.entity.js';
import { Partner } from '../entities/partner.entity.js';
import { JobRunner } from '../jobs/job-runner.js';
import { coercePk, ModelRegistry } from '../model-registry.js';
import { OutboxSender } from '../outbound/outbox-sender.js';
import { OutboxService } from '../outbound/outbox.service.js';
import { activityState, nextHourIn, todayIn, type ActivityState } from './activity-dates.js';

export const ACTIVITY_DIGEST_JOB = 'chatter.activity.digest';

/** One user's morning list. */
export interface ActivityDigestEntry {
  partner: Partner;
  day: string;
  items: { activity: Activity; state: ActivityState; recordName: string }[];
}

/**
 * The daily digest: each internal user gets one email listing their overdue and today's activities.
 * Off unless `activities.dailyDigest` is set: a timer enqueues one job a day at the configured hour (the job key is
 * the day, so replicas that all tick enqueue it once per queue); the job can also be enqueued or `run()` by hand.
 */
@Injectable()
export class ActivityDigest implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ChatterActivities');
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly orm: MikroORM,
    private readonly config: ChatterConfig,
    private readonly jobs: JobRunner,
    private readonly models: ModelRegistry,
    // optional: a host may run the chatter without outbound mail (then the digest is only logged)
    @Optional() private readonly outbox?: OutboxService,
    @Optional() private readonly sender?: OutboxSender,
  ) {}

  onApplicationBootstrap(): void {
    this.jobs.register<{ day?: string }>(ACTIVITY_DIGEST_JOB, async (data) => {
      await this.run(data?.day);
    });
    if (this.config.activities.digestHour !== null) this.arm();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Collects and sends the digest of `day` (default: today in the configured time zone). Returns how many users. */
  async run(day: string = todayIn(this.config.activities.timeZone)): Promise<number> {
    const entries = await this.collect(day);
    if (entries.length === 0) return 0;
    if (!this.outbox) {
      this.logger.warn(`activity digest of ${day}: ${entries.length} user(s), not sent: outbound mail is not set up`);
      return entries.length;
    }
    // one transaction for the day's rows, then one kick: the outbox sends them like any other mail
    const em = this.orm.em.fork();
    await em.transactional(async (tx) => {
      for (const entry of entries) {
        const mail = this.render(entry);
        this.outbox!.queue(tx, {
          to: { email: entry.partner.email, name: entry.partner.name },
          subject: mail.subject,
          html: mail.html,
          text: mail.text,
          partner: tx.getReference(Partner, entry.partner.id),
          headers: { 'X-Chatter-Digest': day },
        });
      }
    });
    this.sender?.kick(entries.length);
    this.logger.log(`activity digest of ${day}: ${entries.length} mail(s) queued`);
    return entries.length;
  }

  /** Who has activities due on or before `day`, each with their list (soonest first). Customers and blocked partners are left out. */
  async collect(day: string): Promise<ActivityDigestEntry[]> {
    const em = this.orm.em.fork();
    const rows = await em.find(
      Activity,
      { deadline: { $lte: day }, assignee: { userId: { $ne: null }, active: true, blacklisted: false } },
      { populate: ['activityType', 'assignee'], orderBy: { assignee: 'asc', deadline: 'asc', id: 'asc' } },
    );
    const names = await this.recordNames(rows);
    const byPartner = new Map<number, ActivityDigestEntry>();
    for (const activity of rows) {
      let entry = byPartner.get(activity.assignee.id);
      if (!entry) byPartner.set(activity.assignee.id, (entry = { partner: activity.assignee, day, items: [] }));
      entry.items.push({
        activity,
        state: activityState(activity.deadline, day),
        recordName: names.get(`${activity.resModel}\u0000${activity.resId}`) ?? `${activity.resModel} #${activity.resId}`,
      });
    }
    return [...byPartner.values()];
  }

  /** the digest email of one user: subject, HTML and text */
  render(entry: ActivityDigestEntry): { subject: string; html: string; text: string } {
    const overdue = entry.items.filter((i) => i.state === 'overdue').length;
    const today = entry.items.length - overdue;
    const subject = `Your activities: ${overdue} overdue, ${today} due today`;
    const line = (i: ActivityDigestEntry['items'][number]) =>
      `${i.activity.activityType.name}${i.activity.summary ? `: ${i.activity.summary}` : ''} — ${i.recordName} (due ${i.activity.deadline}${i.state === 'overdue' ? ', overdue' : ''})`;
    const html =
      `<p>Hello ${escapeHtml(entry.partner.name)},</p><p>${escapeHtml(subject)}.</p><ul>` +
      entry.items.map((i) => `<li class="o_activity_${i.state}">${escapeHtml(line(i))}</li>`).join('') +
      '</ul>';
    const text = `Hello ${entry.partner.name},\n\n${subject}.\n\n${entry.items.map((i) => `- ${line(i)}`).join('\n')}\n`;
    return { subject, html, text };
  }

  /** display names of the records, one query per model */
  private async recordNames(rows: Activity[]): Promise<Map<string, string>> {
    const names = new Map<string, string>();
    const byModel = new Map<string, Set<string>>();
    for (const a of rows) (byModel.get(a.resModel) ?? byModel.set(a.resModel, new Set()).get(a.resModel)!).add(a.resId);
    const em = this.orm.em.fork();
    for (const [modelName, ids] of byModel) {
      const model = this.models.find(modelName);
      if (!model) continue;
      const pk = model.meta.primaryKeys[0];
      const records = await em.find(model.entity as any, { [pk]: { $in: [...ids].map((id) => coercePk(model, id)) } } as any);
      for (const record of records) names.set(`${modelName}\u0000${String((record as any)[pk])}`, this.models.displayName(model, record));
    }
    return names;
  }

  private arm(): void {
    const { timeZone, digestHour } = this.config.activities;
    const at = nextHourIn(timeZone, digestHour!);
    this.timer = setTimeout(() => {
      const day = todayIn(timeZone);
      this.jobs.enqueue(ACTIVITY_DIGEST_JOB, { day }, { key: day }).catch((error: Error) => this.logger.error(`cannot enqueue the activity digest: ${error.message}`));
      this.arm();
    }, Math.max(1_000, at.getTime() - Date.now()));
    this.timer.unref();
  }
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
