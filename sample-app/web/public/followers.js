// @ts-check
// Followers: the count in the top bar, a panel listing them with a remove button each, a form to add one, and
// Follow / Unfollow for whoever is acting.
import { actingAs, api, run } from './api.js';
import { avatar, byId, clear, h, icon } from './dom.js';

/** @param {{ base: string }} ctx @param {{ changed: () => void }} hooks */
export function createFollowers(ctx, hooks) {
  const toggle = byId('followers-toggle');
  const panel = byId('followers-panel');
  const count = byId('follower-count');
  const list = byId('follower-list');
  const form = /** @type {HTMLFormElement} */ (byId('add-follower'));
  const followMe = /** @type {HTMLButtonElement} */ (byId('follow-toggle'));
  /** @type {any[]} */
  let followers = [];

  function render() {
    count.textContent = String(followers.length);
    clear(list);
    if (!followers.length) list.appendChild(h('li', { class: 'muted' }, 'Nobody follows this record.'));
    for (const f of followers) {
      list.appendChild(
        h(
          'li',
          { class: 'follower', dataset: { partnerId: String(f.partnerId), email: f.email } },
          avatar(f.name, f.email, 'sm'),
          h('span', { class: 'follower-name' }, f.name || f.email, f.internal ? null : h('span', { class: 'tag' }, 'customer')),
          h('span', { class: 'follower-email muted' }, f.email),
          h(
            'button',
            {
              type: 'button',
              class: 'icon-btn follower-remove',
              title: `Remove ${f.name || f.email}`,
              'aria-label': `Remove ${f.name || f.email}`,
              onclick: (/** @type {Event} */ e) => run(/** @type {HTMLElement} */ (e.currentTarget), () => remove(f.partnerId)),
            },
            icon('x'),
          ),
        ),
      );
    }
    const me = actingAs();
    const mine = me && followers.find((f) => f.email.toLowerCase() === me.email.toLowerCase());
    followMe.hidden = !me;
    followMe.textContent = mine ? 'Following' : 'Follow';
    followMe.classList.toggle('following', !!mine);
    followMe.dataset.partnerId = mine ? String(mine.partnerId) : '';
  }

  async function refresh() {
    followers = await api('GET', `${ctx.base}/followers`);
    render();
  }

  async function remove(partnerId) {
    await api('DELETE', `${ctx.base}/followers/${partnerId}`);
    await refresh();
    hooks.changed();
  }

  async function add(email, name) {
    await api('POST', `${ctx.base}/followers`, { email, name: name || undefined });
    await refresh();
    hooks.changed();
  }

  toggle.addEventListener('click', () => {
    panel.hidden = !panel.hidden;
    toggle.setAttribute('aria-expanded', String(!panel.hidden));
  });
  document.addEventListener('click', (event) => {
    const target = /** @type {Node} */ (event.target);
    if (!panel.hidden && target.isConnected && !panel.contains(target) && !toggle.contains(target)) {
      panel.hidden = true;
      toggle.setAttribute('aria-expanded', 'false');
    }
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const data = new FormData(form);
    run(form.querySelector('button'), async () => {
      await add(String(data.get('email')).trim(), String(data.get('name') ?? '').trim());
      form.reset();
    });
  });
  followMe.addEventListener('click', () =>
    run(followMe, async () => {
      const me = actingAs();
      if (!me) return;
      if (followMe.dataset.partnerId) await remove(Number(followMe.dataset.partnerId));
      else await add(me.email, me.name ?? '');
    }),
  );
  document.addEventListener('acting-as-changed', render);

  return { refresh, list: () => followers };
}
