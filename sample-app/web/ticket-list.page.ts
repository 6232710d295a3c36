import type { Ticket } from '../ticket.entity.js';
import { html } from './html.js';
import { layout } from './layout.js';
import { statusLabel } from './ticket-labels.js';

/** The ticket list: a table rendered here, and a small form to open a ticket (ticket-list.js posts it). */
export function ticketListPage(tickets: Ticket[]): string {
  const rows = tickets.map(
    (t) => html`<tr data-ticket-id="${t.id}">
      <td class="num">#${t.id}</td>
      <td><a class="ticket-link" href="/web/tickets/${t.id}">${t.subject}</a></td>
      <td><span class="badge status-${t.status}">${statusLabel(t.status)}</span></td>
      <td>${t.assignee ?? html`<span class="muted">Unassigned</span>`}</td>
      <td>${t.customerEmail ?? ''}</td>
      <td class="date"><time datetime="${t.createdAt.toISOString()}">${t.createdAt.toISOString().slice(0, 16).replace('T', ' ')}</time></td>
    </tr>`,
  );
  const main = html`<section class="list-page">
  <div class="list-head">
    <h1>Tickets</h1>
    <form id="new-ticket" class="inline-form">
      <input name="subject" required maxlength="998" placeholder="Subject of a new ticket" aria-label="Subject">
      <input name="customerEmail" type="email" placeholder="customer@example.com" aria-label="Customer email">
      <button class="btn primary" type="submit">New ticket</button>
    </form>
  </div>
  <table class="list">
    <thead><tr><th>#</th><th>Subject</th><th>Status</th><th>Assignee</th><th>Customer</th><th>Created (UTC)</th></tr></thead>
    <tbody>${rows.length ? rows : html`<tr><td colspan="6" class="empty">No tickets yet.</td></tr>`}</tbody>
  </table>
</section>`;
  return layout({ title: 'Tickets', page: 'ticket-list', main, script: 'ticket-list.js' });
}
