// @ts-check
// The composer: "Send message" (a comment, emailed to the followers) or "Log note" (internal). Files are uploaded
// first (POST …/attachments) and go with the message as attachmentIds: the API's two steps.
import { api, run, toast } from './api.js';
import { byId, clear, formatSize, h, icon } from './dom.js';

/**
 * @param {{ base: string, recordName: string }} ctx
 * @param {{ followers: () => any[], posted: () => Promise<unknown> }} hooks
 */
export function createComposer(ctx, hooks) {
  const form = /** @type {HTMLFormElement} */ (byId('composer'));
  const textarea = /** @type {HTMLTextAreaElement} */ (form.elements.namedItem('body'));
  const to = byId('composer-to');
  const chips = byId('composer-files');
  const submit = /** @type {HTMLButtonElement} */ (byId('composer-submit'));
  const fileInput = /** @type {HTMLInputElement} */ (byId('composer-file'));
  /** @type {{ id: number, name: string, size: number }[]} */
  let pending = [];

  function mode() {
    return form.dataset.mode === 'note' ? 'note' : 'message';
  }

  function renderTo() {
    clear(to);
    if (mode() === 'note') {
      to.append('Internal note: followers are not emailed; internal users following notes see it.');
      return;
    }
    const followers = hooks.followers();
    to.append(h('span', { class: 'muted' }, 'To: '), followers.length ? followers.map((f) => f.name || f.email).join(', ') : 'no followers yet');
  }

  function renderChips() {
    clear(chips);
    for (const file of pending) {
      chips.appendChild(
        h(
          'li',
          { class: 'chip' },
          icon('paperclip'),
          h('span', {}, file.name),
          h('span', { class: 'muted' }, formatSize(file.size)),
          h('button', { type: 'button', class: 'chip-remove', 'aria-label': `Remove ${file.name}`, onclick: () => drop(file.id) }, icon('x')),
        ),
      );
    }
  }

  async function drop(id) {
    pending = pending.filter((f) => f.id !== id);
    renderChips();
    await api('DELETE', `/chatter/attachments/${id}`).catch(toast);
  }

  function open(next) {
    form.dataset.mode = next;
    form.hidden = false;
    form.classList.toggle('composer-note', next === 'note');
    textarea.placeholder = next === 'note' ? 'Log an internal note…' : 'Send a message to followers…';
    submit.textContent = next === 'note' ? 'Log' : 'Send';
    renderTo();
    textarea.focus();
  }

  fileInput.addEventListener('change', () =>
    run(null, async () => {
      for (const file of fileInput.files ?? []) {
        const data = new FormData();
        data.append('file', file, file.name);
        const uploaded = await api('POST', `${ctx.base}/attachments`, data);
        pending.push({ id: uploaded.id, name: uploaded.name, size: uploaded.size });
        renderChips();
      }
      fileInput.value = '';
    }),
  );

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const body = textarea.value.trim();
    if (!body) {
      toast(new Error(mode() === 'note' ? 'Write the note first' : 'Write the message first'));
      return;
    }
    run(submit, async () => {
      await api('POST', `${ctx.base}/messages`, { body, format: 'text', type: mode() === 'note' ? 'note' : 'comment', attachmentIds: pending.map((f) => f.id) });
      textarea.value = '';
      pending = [];
      renderChips();
      await hooks.posted();
      renderTo();
    });
  });

  textarea.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) form.requestSubmit();
  });

  return { open, close: () => (form.hidden = true), renderTo, mode, isOpen: () => !form.hidden };
}
