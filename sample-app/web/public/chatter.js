// @ts-check
// The chatter panel of one record: wires the top bar to the composer, the activity form, the files and the
// followers, and keeps the thread fresh after every action.
import { run, toast } from './api.js';
import { createActivities } from './activities.js';
import { createAttachments } from './attachments.js';
import { createComposer } from './composer.js';
import { createFollowers } from './followers.js';
import { createThread } from './thread.js';

/** @param {HTMLElement} root the `aside.chatter` rendered by the server */
export function initChatter(root) {
  const model = root.dataset.model ?? '';
  const id = root.dataset.id ?? '';
  const ctx = {
    model,
    base: `/chatter/${encodeURIComponent(model)}/${encodeURIComponent(id)}`,
    recordName: root.dataset.recordName ?? '',
    labels: JSON.parse(root.dataset.labels || '{"fields":{},"values":{}}'),
  };
  const thread = createThread(ctx);
  const attachments = createAttachments(ctx);
  const followers = createFollowers(ctx, { changed: () => composer.renderTo() });
  const composer = createComposer(ctx, {
    followers: () => followers.list(),
    // posting may add the author as follower and claims the uploads
    posted: () => Promise.all([thread.refresh(), followers.refresh(), attachments.refresh()]),
  });
  const activities = createActivities(ctx, {
    changed: async () => {
      syncPressed();
      await Promise.all([activities.refresh(), thread.refresh()]);
    },
  });

  const buttons = /** @type {NodeListOf<HTMLButtonElement>} */ (root.querySelectorAll('[data-open]'));
  function pressed(which) {
    for (const b of buttons) b.setAttribute('aria-pressed', String(b.dataset.open === which));
  }
  /** the top bar shows which panel is open */
  function syncPressed() {
    pressed(activities.isOpen() ? 'activity' : composer.isOpen() ? composer.mode() : '');
  }
  root.querySelector('#activity-form [data-close]')?.addEventListener('click', () => queueMicrotask(syncPressed));
  for (const button of buttons) {
    button.addEventListener('click', () => {
      const which = button.dataset.open;
      if (which === 'activity') {
        composer.close();
        if (activities.isOpen()) {
          activities.close();
          pressed('');
        } else {
          pressed('activity');
          run(button, activities.open);
        }
        return;
      }
      activities.close();
      if (composer.isOpen() && composer.mode() === which) {
        composer.close();
        pressed('');
      } else {
        composer.open(which);
        pressed(which ?? '');
      }
    });
  }
  const older = /** @type {HTMLButtonElement} */ (document.getElementById('load-older'));
  older.addEventListener('click', () => run(older, thread.loadOlder));

  async function refreshAll() {
    await Promise.all([thread.refresh(), followers.refresh(), activities.refresh(), attachments.refresh()]);
  }
  // mail arrives while the page is open: look again when the tab comes back
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') thread.refresh().catch(toast);
  });
  refreshAll()
    .then(() => (root.dataset.ready = 'true'))
    .catch(toast);
  return { refreshThread: thread.refresh, refreshAll };
}
