// @ts-check
// The ticket's form: the statusbar saves at once (as Odoo's does), subject and assignee with Save / Discard.
// Both go through PATCH /tickets/:id; the chatter then shows the tracking message.
import { api, run } from './api.js';
import { byId } from './dom.js';

/** @param {{ saved: () => Promise<unknown> }} hooks */
export function initTicketForm(hooks) {
  const form = /** @type {HTMLFormElement} */ (byId('ticket-form'));
  const id = form.dataset.ticketId;
  const subject = /** @type {HTMLInputElement} */ (form.elements.namedItem('subject'));
  const assignee = /** @type {HTMLInputElement} */ (form.elements.namedItem('assignee'));
  const save = /** @type {HTMLButtonElement} */ (byId('save'));
  const discard = /** @type {HTMLButtonElement} */ (byId('discard'));
  const state = byId('save-state');
  const statusLabel = byId('status-label');
  let saved = { subject: subject.value, assignee: assignee.value };

  function dirty() {
    return subject.value !== saved.subject || assignee.value.trim() !== saved.assignee;
  }
  function update() {
    save.disabled = discard.disabled = !dirty();
    state.textContent = dirty() ? 'Unsaved changes' : '';
  }
  function show(ticket) {
    saved = { subject: ticket.subject, assignee: ticket.assignee ?? '' };
    subject.value = saved.subject;
    assignee.value = saved.assignee;
    byId('crumb-subject').textContent = ticket.subject;
    document.title = `#${ticket.id} ${ticket.subject} · Helpdesk`;
    for (const step of document.querySelectorAll('#statusbar [data-status]')) {
      const on = /** @type {HTMLElement} */ (step).dataset.status === ticket.status;
      step.setAttribute('aria-pressed', String(on));
      if (on) {
        statusLabel.textContent = step.textContent;
        statusLabel.className = `badge status-${ticket.status}`;
      }
    }
    update();
  }

  form.addEventListener('input', update);
  discard.addEventListener('click', () => {
    subject.value = saved.subject;
    assignee.value = saved.assignee;
    update();
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (!form.reportValidity()) return;
    /** @type {Record<string, unknown>} */
    const change = {};
    if (subject.value !== saved.subject) change.subject = subject.value.trim();
    if (assignee.value.trim() !== saved.assignee) change.assignee = assignee.value.trim() || null;
    run(save, async () => {
      show(await api('PATCH', `/tickets/${id}`, change));
      await hooks.saved();
    }).then(() => {
      // run() re-enables the button: whether there is anything left to save decides
      update();
      if (!dirty()) state.textContent = 'Saved';
    });
  });
  for (const step of /** @type {NodeListOf<HTMLButtonElement>} */ (document.querySelectorAll('#statusbar [data-status]'))) {
    step.addEventListener('click', () => {
      if (step.getAttribute('aria-pressed') === 'true') return;
      run(step, async () => {
        show(await api('PATCH', `/tickets/${id}`, { status: step.dataset.status }));
        await hooks.saved();
      });
    });
  }
}
