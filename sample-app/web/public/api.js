// @ts-check
// Who is acting (the demo's X-User-Email, kept in localStorage) and fetch helpers that send it on every call.

const KEY = 'chatter.actingAs';

/** @typedef {{ email: string, name?: string }} Actor */

/** @returns {Actor | null} */
export function actingAs() {
  try {
    const value = JSON.parse(localStorage.getItem(KEY) ?? 'null');
    return value && typeof value.email === 'string' ? value : null;
  } catch {
    return null;
  }
}

/** @param {Actor | null} actor */
export function setActingAs(actor) {
  if (actor) localStorage.setItem(KEY, JSON.stringify(actor));
  else localStorage.removeItem(KEY);
  document.dispatchEvent(new CustomEvent('acting-as-changed', { detail: actor }));
}

export class ApiError extends Error {
  /** @param {number} status @param {string} message */
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/**
 * fetch against the app's JSON API as the acting user.
 * @param {string} method
 * @param {string} path
 * @param {unknown} [body] a plain object (sent as JSON) or FormData
 */
export async function api(method, path, body) {
  /** @type {Record<string, string>} */
  const headers = { accept: 'application/json' };
  const actor = actingAs();
  if (actor) {
    headers['x-user-email'] = actor.email;
    // header values must be Latin-1: a name outside it is left out rather than breaking the call
    if (actor.name && /^[\x20-\x7e\u00a0-\u00ff]*$/.test(actor.name)) headers['x-user-name'] = actor.name;
  }
  let payload;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const res = await fetch(path, { method, headers, body: payload, credentials: 'same-origin' });
  const text = await res.text();
  let data;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = text;
  }
  if (!res.ok) {
    const message = data && typeof data === 'object' ? [].concat(data.message ?? data.error ?? res.statusText).join(', ') : res.statusText;
    throw new ApiError(res.status, `${message} (${res.status})`);
  }
  return data;
}

let toastTimer = 0;
/** Shows an error (or a notice) at the top of the page, as text. @param {unknown} error */
export function toast(error, kind = 'error') {
  const el = document.getElementById('toast');
  if (!el) return;
  el.textContent = error instanceof Error ? error.message : String(error);
  el.dataset.kind = kind;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = window.setTimeout(() => (el.hidden = true), 6000);
}

/**
 * Runs an action from a button or form, showing its error; the control is disabled meanwhile.
 * @param {HTMLElement | null} control
 * @param {() => Promise<unknown>} action
 */
export async function run(control, action) {
  if (control) control.setAttribute('aria-busy', 'true');
  if (control instanceof HTMLButtonElement) control.disabled = true;
  try {
    await action();
  } catch (error) {
    toast(error);
    console.error(error);
  } finally {
    if (control) control.removeAttribute('aria-busy');
    if (control instanceof HTMLButtonElement) control.disabled = false;
  }
}

/** Wires the top bar's "Acting as" picker; a first visit acts as the first demo user. */
export function initActingAs() {
  const select = /** @type {HTMLSelectElement} */ (document.getElementById('acting-as'));
  const input = /** @type {HTMLInputElement} */ (document.getElementById('acting-as-email'));
  if (!select || !input) return;
  const first = select.options[0];
  let actor = actingAs();
  if (!actor && first) {
    actor = { email: first.value, name: first.dataset.name };
    localStorage.setItem(KEY, JSON.stringify(actor));
  }
  const known = [...select.options].find((o) => o.value && o.value === actor?.email);
  if (known) select.value = known.value;
  else {
    select.value = '';
    input.hidden = false;
    input.value = actor?.email ?? '';
  }
  select.addEventListener('change', () => {
    if (select.value) {
      input.hidden = true;
      setActingAs({ email: select.value, name: select.selectedOptions[0]?.dataset.name });
    } else {
      input.hidden = false;
      input.focus();
    }
  });
  input.addEventListener('change', () => {
    if (input.checkValidity() && input.value) setActingAs({ email: input.value.trim() });
  });
}
