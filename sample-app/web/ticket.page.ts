import type { Ticket } from '../ticket.entity.js';
import { chatterPanel } from './chatter.view.js';
import { DEMO_USERS } from './demo-users.js';
import { html } from './html.js';
import { layout } from './layout.js';
import { STATUS_LABELS, STATUS_STEPS, TRACKING_LABELS, statusLabel } from './ticket-labels.js';

/** A ticket: its form on the left (ticket-form.js saves it with PATCH /tickets/:id), its chatter on the right. */
export function ticketPage(ticket: Ticket): string {
  const steps = [...STATUS_STEPS, 'cancelled' as const];
  const main = html`<nav class="breadcrumb"><a href="/web/tickets">Tickets</a> <span>/</span> <span id="crumb-subject">${ticket.subject}</span></nav>
<div class="record-layout">
  <section class="form-view">
    <div class="statusbar" role="group" aria-label="Status" id="statusbar">
      ${steps.map(
        (s) => html`<button type="button" class="step${s === 'cancelled' ? ' step-side' : ''}" data-status="${s}" aria-pressed="${s === ticket.status}">${STATUS_LABELS[s]}</button>`,
      )}
    </div>
    <form id="ticket-form" class="sheet" data-ticket-id="${ticket.id}">
      <div class="sheet-ref">Ticket #${ticket.id}</div>
      <input class="title-input" name="subject" required maxlength="998" value="${ticket.subject}" aria-label="Subject">
      <div class="fields">
        <label class="field"><span class="field-label">Assignee</span><input name="assignee" type="email" list="agents" value="${ticket.assignee ?? ''}" placeholder="Unassigned"></label>
        <div class="field"><span class="field-label">Status</span><span id="status-label" class="badge status-${ticket.status}">${statusLabel(ticket.status)}</span></div>
        <div class="field"><span class="field-label">Customer</span><span>${ticket.customerEmail ?? html`<span class="muted">none</span>`}</span></div>
        <div class="field"><span class="field-label">Created</span><time datetime="${ticket.createdAt.toISOString()}">${ticket.createdAt.toISOString().slice(0, 16).replace('T', ' ')} UTC</time></div>
      </div>
      <h3 class="section-title">Description</h3>
      <div class="description">${ticket.description || html`<span class="muted">No description.</span>`}</div>
      <div class="form-actions">
        <button type="submit" class="btn primary" id="save" disabled>Save</button>
        <button type="button" class="btn" id="discard" disabled>Discard</button>
        <span class="hint" id="save-state" role="status"></span>
      </div>
    </form>
    <datalist id="agents">${DEMO_USERS.map((u) => html`<option value="${u.email}">${u.name}</option>`)}</datalist>
  </section>
  ${chatterPanel({ model: 'ticket', id: ticket.id, recordName: ticket.subject, labels: TRACKING_LABELS })}
</div>`;
  return layout({ title: `#${ticket.id} ${ticket.subject}`, page: 'ticket', main, script: 'ticket-page.js' });
}
