import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTIVITY_DIGEST_JOB, Activity, ActivityDigest, ActivityService, ActivityTypeService, ChatterConfig, JobRunner, Message, OutgoingMail, runAsActor, type ActivityState } from '../../lib/index.js';
import { nextHourIn } from '../../lib/activity/activity-dates.js';
import type { ChatterTesting } from '../support/chatter-testing.js';
import { DIALECTS } from '../support/database.js';
import { Deal, agent, bob, carol, createDeal, customer, notificationsOf, partner, startDeals } from './fixtures.js';

const NOON = new Date('2026-03-10T12:00:00Z');

describe.each(DIALECTS)('activities (%s)', (dialect) => {
  let t: ChatterTesting;
  let activities: ActivityService;

  beforeAll(async () => {
    t = await startDeals(dialect, { activities: { types: [{ name: 'Send quote', delayDays: 3, summary: 'Quote the customer', model: 'deal' }] } });
    activities = t.app.get(ActivityService);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('creates the built-in types at boot and the host types with their delay', async () => {
    const types = await t.app.get(ActivityTypeService).list('deal');
    expect(types.map((ty) => [ty.name, ty.delayDays])).toEqual([
      ['To-Do', 5],
      ['Email', 2],
      ['Call', 2],
      ['Meeting', 0],
      ['Send quote', 3],
    ]);
    expect((await t.app.get(ActivityTypeService).list('other')).map((ty) => ty.name)).not.toContain('Send quote');
    const added = await t.app.get(ActivityTypeService).create({ name: 'Visit', delayDays: 7 });
    expect(added).toMatchObject({ name: 'Visit', delayDays: 7, resModel: null });
  });

  it("defaults the deadline to today + the type's delay, and the summary to the type's", async () => {
    const deal = await createDeal(t);
    const a = await activities.schedule(deal, { type: 'Send quote', assignee: bob, author: agent }, { now: NOON });
    expect(a).toMatchObject({ deadline: '2026-03-13', summary: 'Quote the customer', resModel: 'deal', resId: String(deal.id) });
    const todo = await activities.schedule(deal, { type: 'To-Do', assignee: bob, author: agent }, { now: NOON, timeZone: 'Pacific/Auckland' });
    // 12:00 UTC is already the 11th in Auckland
    expect(todo.deadline).toBe('2026-03-16');
  });

  it('computes overdue / today / planned from the deadline, in a time zone', async () => {
    const deal = await createDeal(t, { name: 'States' });
    for (const deadline of ['2026-03-09', '2026-03-10', '2026-03-11']) {
      await activities.schedule({ model: 'deal', id: String(deal.id) }, { type: 'Call', summary: deadline, deadline, assignee: bob, author: agent });
    }
    const states = (list: { activity: Activity; state: ActivityState }[]) => list.map((a) => `${a.activity.deadline}:${a.state}`);
    expect(states(await activities.activitiesOf(deal, { now: NOON }))).toEqual(['2026-03-09:overdue', '2026-03-10:today', '2026-03-11:planned']);
    // 23:30 UTC on the 10th is the 11th in Auckland (UTC+13) and still the 10th in New York
    const late = new Date('2026-03-10T23:30:00Z');
    expect(states(await activities.activitiesOf(deal, { now: late, timeZone: 'Pacific/Auckland' }))).toEqual([
      '2026-03-09:overdue',
      '2026-03-10:overdue',
      '2026-03-11:today',
    ]);
    expect(states(await activities.activitiesOf(deal, { now: late, timeZone: 'America/New_York' }))).toEqual([
      '2026-03-09:overdue',
      '2026-03-10:today',
      '2026-03-11:planned',
    ]);
    const [first] = await activities.activitiesOf(deal, { now: NOON });
    expect(first.daysLeft).toBe(-1);
  });

  it('marks an activity done: an activity message with type, summary, note and feedback, and the activity is gone', async () => {
    const deal = await createDeal(t, { name: 'Done deal' });
    await t.threads.follow(deal, bob);
    await t.threads.follow(deal, customer);
    const a = await activities.schedule(deal, { type: 'Call', summary: 'Call <Alice>', note: '<p>ask about <b>budget</b><script>x()</script></p>', deadline: '2026-03-10', assignee: bob, author: agent });
    const message = await runAsActor(bob, () => activities.markDone(a.id, 'She said yes.\nSigning Friday & happy'));
    expect(message).toMatchObject({ messageType: 'activity', isInternal: true, resModel: 'deal', resId: String(deal.id) });
    expect(message.body).toContain('<span class="o_mail_activity_type">Call</span> done: <b>Call &lt;Alice&gt;</b>');
    expect(message.body).toContain('ask about <b>budget</b>');
    expect(message.body).not.toContain('script');
    expect(message.body).toContain('She said yes.<br />Signing Friday &amp; happy');
    const [entry] = await t.threads.messages(deal, { limit: 1 });
    expect(entry.message.id).toBe(message.id);
    expect(entry.message.subtype?.name).toBe('Activities');
    expect(entry.message.author?.email).toBe(bob.email);
    expect(await t.em().count(Activity, { id: a.id })).toBe(0);
    // followers of the internal Activities subtype are told (agent follows as the record's… no: only bob and the customer follow);
    // bob is the author, the customer never gets internal subtypes
    expect(await notificationsOf(t, message.id)).toEqual([]);
    await expect(activities.markDone(a.id)).rejects.toMatchObject({ status: 404 });
  });

  it('notifies internal followers of Activities when an activity is done', async () => {
    const deal = await createDeal(t, { name: 'Followed' });
    await partner(t, carol, 'inbox');
    await t.threads.follow(deal, carol);
    const a = await activities.schedule(deal, { type: 'To-Do', deadline: '2026-03-12', assignee: bob, author: agent });
    const message = await activities.markDone(a.id, undefined, { author: bob });
    expect(await notificationsOf(t, message.id)).toEqual(['carol@example.test:inbox:sent']);
  });

  it('reschedules and cancels (no message for a cancel)', async () => {
    const deal = await createDeal(t, { name: 'Moving' });
    const a = await activities.schedule(deal, { type: 'Meeting', deadline: '2026-03-10', assignee: bob, author: agent });
    expect((await activities.reschedule(a.id, '2026-04-01')).deadline).toBe('2026-04-01');
    expect((await activities.get(a.id, { now: NOON })).state).toBe('planned');
    await expect(activities.reschedule(a.id, '2026-02-30')).rejects.toMatchObject({ status: 400 });
    await expect(activities.reschedule(a.id, 'tomorrow')).rejects.toMatchObject({ status: 400 });
    const before = await t.em().count(Message, { resModel: 'deal', resId: String(deal.id) });
    await activities.cancel(a.id);
    expect(await activities.activitiesOf(deal)).toEqual([]);
    expect(await t.em().count(Message, { resModel: 'deal', resId: String(deal.id) })).toBe(before);
    await expect(activities.cancel(a.id)).rejects.toMatchObject({ status: 404 });
  });

  it("lists a user's activities across records, soonest first, filtered by state", async () => {
    const dave = { email: 'dave@example.test', name: 'Dave', userId: 'dave' };
    const one = await createDeal(t, { name: 'One' });
    const two = await createDeal(t, { name: 'Two' });
    await activities.schedule(two, { type: 'Call', summary: 'later', deadline: '2026-03-20', assignee: dave, author: agent });
    await activities.schedule(one, { type: 'Email', summary: 'late', deadline: '2026-03-01', assignee: dave, author: agent });
    await activities.schedule(two, { type: 'To-Do', summary: 'now', deadline: '2026-03-10', assignee: dave, author: agent });
    await activities.schedule(one, { type: 'To-Do', summary: 'not mine', deadline: '2026-03-10', assignee: bob, author: agent });
    const all = await activities.activitiesFor(dave, { now: NOON });
    expect(all.map((a) => `${a.activity.summary}:${a.state}:${a.activity.resId}`)).toEqual([
      `late:overdue:${one.id}`,
      `now:today:${two.id}`,
      `later:planned:${two.id}`,
    ]);
    const due = await activities.activitiesFor({ email: 'DAVE@example.test' }, { now: NOON, states: ['overdue', 'today'] });
    expect(due.map((a) => a.activity.summary)).toEqual(['late', 'now']);
    expect(await activities.activitiesFor({ email: 'nobody@example.test' })).toEqual([]);
  });

  it('tells the assignee by their preference: inbox, or email; not when they assign themselves', async () => {
    const deal = await createDeal(t, { name: 'Assign' });
    const inboxUser = await partner(t, { email: 'ivy@example.test', name: 'Ivy', userId: 'ivy' }, 'inbox');
    const emailUser = await partner(t, { email: 'eve@example.test', name: 'Eve', userId: 'eve' }, 'email');
    const notices = async () =>
      t.em().find(Message, { resModel: 'deal', resId: String(deal.id), messageType: 'notification', subject: { $like: '%assigned to you' } }, { orderBy: { id: 'asc' } });
    await activities.schedule(deal, { type: 'Call', summary: 'Ring', deadline: '2026-03-12', assignee: inboxUser, author: agent });
    await activities.schedule(deal, { type: 'Email', deadline: '2026-03-12', assignee: emailUser.id, author: agent });
    await activities.schedule(deal, { type: 'To-Do', deadline: '2026-03-12', assignee: agent, author: agent });
    const sent = await notices();
    expect(sent).toHaveLength(2);
    expect(sent[0]).toMatchObject({ isInternal: true, subject: 'Assign: Call: Ring assigned to you' });
    expect(sent[0].body).toContain('Agent Smith assigned you an activity: <b>Call: Ring</b> on Assign, due 2026-03-12.');
    expect(await notificationsOf(t, sent[0].id)).toEqual(['ivy@example.test:inbox:sent']);
    expect(await notificationsOf(t, sent[1].id)).toEqual(['eve@example.test:email:ready']);
    // the email goes through the outbox like any notification email
    const mails = await t.em().find(OutgoingMail, { message: { $in: sent.map((m) => m.id) } });
    expect(mails.map((m) => [m.emailTo, m.subject])).toEqual([['"Eve" <eve@example.test>', 'Assign: Email assigned to you']]);
  });

  it('refuses to assign a customer, an unknown type or an unknown record', async () => {
    const deal = await createDeal(t, { name: 'Refusals' });
    await expect(activities.schedule(deal, { type: 'Call', assignee: customer, author: agent })).rejects.toMatchObject({ status: 400 });
    await expect(activities.schedule(deal, { type: 'Juggling', assignee: bob, author: agent })).rejects.toMatchObject({ status: 400 });
    await expect(activities.schedule({ model: 'deal', id: '999999' }, { type: 'Call', assignee: bob })).rejects.toMatchObject({ status: 404 });
  });

  it("deletes a record's activities with the record", async () => {
    const em = t.em();
    const deal = await createDeal(t, { name: 'Doomed' });
    await activities.schedule(deal, { type: 'Call', deadline: '2026-03-12', assignee: bob, author: agent });
    const keep = await createDeal(t, { name: 'Kept' });
    await activities.schedule(keep, { type: 'Call', deadline: '2026-03-12', assignee: bob, author: agent });
    await em.remove(em.getReference(Deal, deal.id)).flush();
    expect(await t.em().count(Activity, { resModel: 'deal', resId: String(deal.id) })).toBe(0);
    expect(await t.em().count(Activity, { resModel: 'deal', resId: String(keep.id) })).toBe(1);
  });

  it("collects each user's overdue and today activities for the daily digest", async () => {
    const digest = t.app.get(ActivityDigest);
    const frank = { email: 'frank@example.test', name: 'Frank', userId: 'frank' };
    const deal = await createDeal(t, { name: 'Digest <deal>' });
    await activities.schedule(deal, { type: 'Call', summary: 'late one', deadline: '2030-01-01', assignee: frank, author: agent });
    await activities.schedule(deal, { type: 'To-Do', summary: 'due one', deadline: '2030-01-02', assignee: frank, author: agent });
    await activities.schedule(deal, { type: 'To-Do', summary: 'future', deadline: '2030-01-03', assignee: frank, author: agent });
    const entries = await digest.collect('2030-01-02');
    const mine = entries.find((e) => e.partner.email === frank.email)!;
    expect(mine.items.map((i) => `${i.activity.summary}:${i.state}:${i.recordName}`)).toEqual(['late one:overdue:Digest <deal>', 'due one:today:Digest <deal>']);
    const mail = digest.render(mine);
    expect(mail.subject).toBe('Your activities: 1 overdue, 1 due today');
    expect(mail.html).toContain('Digest &lt;deal&gt;');
    expect(mail.text).toContain('- Call: late one — Digest <deal> (due 2030-01-01, overdue)');
    expect(await digest.run('2030-01-02')).toBeGreaterThanOrEqual(1);
    const [mailRow] = await t.em().find(OutgoingMail, { emailTo: { $like: '%frank@example.test%' }, message: null }, { populate: ['bodyHtml'] as never });
    expect(mailRow).toMatchObject({ subject: 'Your activities: 1 overdue, 1 due today', resModel: null });
    expect(mailRow.headers).toMatchObject({ 'Auto-Submitted': 'auto-generated', 'X-Chatter-Digest': '2030-01-02' });
    // the daily job runs the same through the job runner
    const gina = { email: 'gina@example.test', name: 'Gina', userId: 'gina' };
    await activities.schedule(deal, { type: 'Call', summary: 'for gina', deadline: '2030-02-01', assignee: gina, author: agent });
    const jobs = t.app.get(JobRunner);
    await jobs.enqueue(ACTIVITY_DIGEST_JOB, { day: '2030-02-01' });
    await jobs.drain();
    const ginas = await t.em().find(OutgoingMail, { emailTo: { $like: '%gina@example.test%' }, message: null });
    expect(ginas.map((m) => m.headers['X-Chatter-Digest'])).toEqual(['2030-02-01']);
    expect(mailRow.bodyHtml).toContain('<li class="o_activity_overdue">Call: late one — Digest &lt;deal&gt; (due 2030-01-01, overdue)</li>');
  });
});

describe('activity clock and options', () => {
  it('finds the next digest time in a time zone, half-hour zones included', () => {
    expect(nextHourIn('UTC', 7, new Date('2026-03-10T06:59:00Z')).toISOString()).toBe('2026-03-10T07:00:00.000Z');
    expect(nextHourIn('UTC', 7, new Date('2026-03-10T07:00:00Z')).toISOString()).toBe('2026-03-11T07:00:00.000Z');
    expect(nextHourIn('Asia/Kolkata', 7, new Date('2026-03-10T00:00:00Z')).toISOString()).toBe('2026-03-10T01:30:00.000Z');
    expect(nextHourIn('Europe/Brussels', 7, new Date('2026-03-29T12:00:00Z')).toISOString()).toBe('2026-03-30T05:00:00.000Z');
  });

  it('checks the activity options at boot', () => {
    const base = { domains: [{ name: 'example.test' }], secret: 'test-secret-0123456789' };
    expect(new ChatterConfig(base).activities).toEqual({ types: [], timeZone: 'UTC', digestHour: null });
    expect(new ChatterConfig({ ...base, activities: { dailyDigest: true } }).activities.digestHour).toBe(7);
    expect(() => new ChatterConfig({ ...base, activities: { timeZone: 'Mars/Olympus' } })).toThrow(/not a time zone/);
    expect(() => new ChatterConfig({ ...base, activities: { dailyDigest: { hour: 24 } } })).toThrow(/hour/);
    expect(() => new ChatterConfig({ ...base, activities: { types: [{ name: 'x', delayDays: -1 }] } })).toThrow(/delayDays/);
    expect(() => new ChatterConfig({ ...base, attachments: { maxBytes: 0 } })).toThrow(/maxBytes/);
  });
});
