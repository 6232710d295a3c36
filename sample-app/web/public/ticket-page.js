// @ts-check
// Entry point of a ticket's page.
import { initActingAs } from './api.js';
import { initChatter } from './chatter.js';
import { byId } from './dom.js';
import { initTicketForm } from './ticket-form.js';

initActingAs();
const chatter = initChatter(byId('chatter'));
initTicketForm({ saved: chatter.refreshThread });
// who is acting decides Follow / Following and authorship: redraw what depends on it
document.addEventListener('acting-as-changed', () => chatter.refreshAll());
