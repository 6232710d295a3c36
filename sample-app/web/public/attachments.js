// @ts-check
// The record's files: a count in the top bar, a box listing them (images shown, every file a download link),
// upload straight onto the record, delete.
import { api, run } from './api.js';
import { byId, clear, formatSize, h, icon } from './dom.js';

/** @param {{ base: string }} ctx */
export function createAttachments(ctx) {
  const toggle = byId('attachments-toggle');
  const box = byId('attachments-box');
  const list = byId('attachment-list');
  const count = byId('attachment-count');
  const input = /** @type {HTMLInputElement} */ (byId('record-file'));

  function renderOne(a) {
    const isImage = /^image\/(png|jpe?g|gif|webp)$/i.test(a.mimetype);
    return h(
      'li',
      { class: 'attachment-card', dataset: { attachmentId: String(a.id) } },
      isImage ? h('img', { src: a.url, alt: a.name, loading: 'lazy', class: 'attachment-thumb' }) : h('span', { class: 'attachment-icon' }, icon('paperclip')),
      h('div', { class: 'attachment-meta' }, h('a', { href: a.url, download: a.name, class: 'file-name', title: `Download ${a.name}` }, a.name), h('span', { class: 'muted' }, formatSize(a.size))),
      h('a', { href: a.url, download: a.name, class: 'icon-btn', 'aria-label': `Download ${a.name}` }, icon('download')),
      h(
        'button',
        { type: 'button', class: 'icon-btn', 'aria-label': `Delete ${a.name}`, onclick: (/** @type {Event} */ e) => run(/** @type {HTMLElement} */ (e.currentTarget), async () => { await api('DELETE', `/chatter/attachments/${a.id}`); await refresh(); }) },
        icon('x'),
      ),
    );
  }

  async function refresh() {
    const files = await api('GET', `${ctx.base}/attachments`);
    count.textContent = String(files.length);
    clear(list);
    if (!files.length) list.appendChild(h('li', { class: 'muted' }, 'No files yet.'));
    for (const a of files) list.appendChild(renderOne(a));
  }

  function show(open = box.hidden) {
    box.hidden = !open;
    toggle.setAttribute('aria-expanded', String(open));
  }

  toggle.addEventListener('click', () => show());
  input.addEventListener('change', () =>
    run(null, async () => {
      for (const file of input.files ?? []) {
        const data = new FormData();
        data.append('file', file, file.name);
        await api('POST', `${ctx.base}/attachments`, data);
      }
      input.value = '';
      await refresh();
      show(true);
    }),
  );

  return { refresh, show };
}
