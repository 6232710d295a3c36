// @ts-check
// Planned activities: the list (overdue red, today orange, planned green), Mark done with feedback, cancel,
// and the form that schedules one.
import { actingAs, api, run } from './api.js';
import { avatar, byId, clear, h, icon } from './dom.js';
import { hasBody, messageFrame } from './message-frame.js';

/** @param {{ base: string, model: string }} ctx @param {{ changed: () => Promise<unknown> }} hooks */
export function createActivities(ctx, hooks) {
  const section = byId('activities');
  const list = byId('activity-list');
  const form = /** @type {HTMLFormElement} */ (byId('activity-form'));
  const typeSelect = /** @type {HTMLSelectElement} */ (byId('activity-type'));
  let typesLoaded = false;

  function due(a) {
    if (a.state === 'today') return 'Today';
    if (a.daysLeft === -1) return 'Yesterday';
    if (a.daysLeft < 0) return `${-a.daysLeft} days overdue`;
    if (a.daysLeft === 1) return 'Tomorrow';
    return `Due in ${a.daysLeft} days`;
  }

  function renderOne(a) {
    const feedback = h('textarea', { name: 'feedback', rows: 2, placeholder: 'Feedback (optional)', 'aria-label': 'Feedback' });
    const doneForm = h(
      'form',
      { class: 'done-form', hidden: true },
      feedback,
      h('div', { class: 'composer-actions' }, h('button', { type: 'submit', class: 'btn primary small' }, 'Done'), h('button', { type: 'button', class: 'btn small', 'data-close': true }, 'Discard')),
    );
    doneForm.addEventListener('submit', (event) => {
      event.preventDefault();
      run(doneForm.querySelector('button'), async () => {
        await api('POST', `/chatter/activities/${a.id}/done`, { feedback: /** @type {HTMLTextAreaElement} */ (feedback).value.trim() || undefined });
        await hooks.changed();
      });
    });
    doneForm.querySelector('[data-close]')?.addEventListener('click', () => (doneForm.hidden = true));
    const label = a.summary ? `${a.type.name}: ${a.summary}` : a.type.name;
    return h(
      'li',
      { class: `activity state-${a.state}`, dataset: { activityId: String(a.id) } },
      avatar(a.assignee.name, a.assignee.email, 'sm'),
      h(
        'div',
        { class: 'activity-main' },
        h('div', { class: 'activity-line' }, h('span', { class: 'activity-due' }, due(a)), h('span', { class: 'activity-summary' }, label), h('span', { class: 'muted' }, `for ${a.assignee.name || a.assignee.email}`)),
        hasBody(a.note) ? h('div', { class: 'activity-note' }, messageFrame(a.note)) : null,
        h(
          'div',
          { class: 'activity-actions' },
          h('button', { type: 'button', class: 'btn link', onclick: () => { doneForm.hidden = false; /** @type {HTMLElement} */ (feedback).focus(); } }, icon('check'), ' Mark done'),
          h('button', { type: 'button', class: 'btn link', onclick: (/** @type {Event} */ e) => run(/** @type {HTMLElement} */ (e.currentTarget), async () => { await api('DELETE', `/chatter/activities/${a.id}`); await hooks.changed(); }) }, 'Cancel'),
          h('span', { class: 'muted activity-deadline' }, a.deadline),
        ),
        doneForm,
      ),
    );
  }

  async function refresh() {
    const activities = await api('GET', `${ctx.base}/activities`);
    clear(list);
    for (const a of activities) list.appendChild(renderOne(a));
    section.hidden = activities.length === 0;
  }

  async function open() {
    form.hidden = false;
    const assignee = /** @type {HTMLInputElement} */ (form.elements.namedItem('assigneeEmail'));
    if (!assignee.value) assignee.value = actingAs()?.email ?? '';
    if (!typesLoaded) {
      const types = await api('GET', `/chatter/activity-types?model=${encodeURIComponent(ctx.model)}`);
      clear(typeSelect);
      for (const t of types) typeSelect.appendChild(h('option', { value: t.name }, t.name));
      typesLoaded = true;
    }
    typeSelect.focus();
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const text = (name) => String(data.get(name) ?? '').trim() || undefined;
    run(form.querySelector('button[type=submit]'), async () => {
      await api('POST', `${ctx.base}/activities`, {
        type: text('type'),
        assigneeEmail: text('assigneeEmail'),
        summary: text('summary'),
        note: text('note'),
        deadline: text('deadline'),
      });
      form.reset();
      form.hidden = true;
      await hooks.changed();
    });
  });
  form.querySelector('[data-close]')?.addEventListener('click', () => (form.hidden = true));

  return { refresh, open, close: () => (form.hidden = true), isOpen: () => !form.hidden };
}
