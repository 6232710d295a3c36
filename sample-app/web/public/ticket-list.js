// @ts-check
// Entry point of the ticket list: the "acting as" picker and the form that opens a new ticket.
import { api, initActingAs, run } from './api.js';

initActingAs();
const form = /** @type {HTMLFormElement | null} */ (document.getElementById('new-ticket'));
form?.addEventListener('submit', (event) => {
  event.preventDefault();
  const data = new FormData(form);
  const customerEmail = String(data.get('customerEmail') ?? '').trim();
  run(form.querySelector('button'), async () => {
    const { id } = await api('POST', '/tickets', { subject: String(data.get('subject') ?? '').trim(), customerEmail: customerEmail || undefined });
    location.assign(`/web/tickets/${id}`);
  });
});
