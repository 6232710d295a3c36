// @ts-check
// Building DOM without HTML strings: text always goes in as text nodes (never innerHTML).

/**
 * h('button', { class: 'btn', onclick: fn }, 'Save') → <button class="btn">Save</button>
 * @param {string} tag
 * @param {Record<string, any>} [props]
 * @param {...any} children strings become text nodes; null/false are skipped; arrays are flattened
 * @returns {HTMLElement}
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

/** @param {Node} el @param {any[]} children */
export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** @param {Element} el */
export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
}

/** @param {string} id @returns {any} */
export function byId(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from the page`);
  return el;
}

const SVG = 'http://www.w3.org/2000/svg';
/** the same shapes as icons.ts on the server, as [element, attributes] pairs */
const ICONS = {
  envelope: [['rect', { x: 3, y: 5, width: 18, height: 14, rx: 2 }], ['path', { d: 'm3 7 9 6 9-6' }]],
  paperclip: [['path', { d: 'M21 11.5 12.5 20a5 5 0 0 1-7-7L14 4.5a3.5 3.5 0 0 1 5 5L10.5 18a2 2 0 0 1-3-3L15 7.5' }]],
  check: [['path', { d: 'm5 12 5 5 9-10' }]],
  clock: [['circle', { cx: 12, cy: 12, r: 9 }], ['path', { d: 'M12 7v5l3 2' }]],
  x: [['path', { d: 'M6 6l12 12M18 6 6 18' }]],
  download: [['path', { d: 'M12 4v11m-5-5 5 5 5-5M5 20h14' }]],
  user: [['circle', { cx: 12, cy: 8, r: 4 }], ['path', { d: 'M4 21c0-4 4-6 8-6s8 2 8 6' }]],
};

/**
 * @param {keyof typeof ICONS} name
 * @param {string} [label] an accessible name; without one the icon is decorative
 */
export function icon(name, label) {
  const svg = document.createElementNS(SVG, 'svg');
  for (const [k, v] of Object.entries({ viewBox: '0 0 24 24', fill: 'none', stroke: 'currentColor', 'stroke-width': 2, 'stroke-linecap': 'round', 'stroke-linejoin': 'round' })) {
    svg.setAttribute(k, String(v));
  }
  svg.setAttribute('class', `icon icon-${name}`);
  if (label) {
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', label);
  } else svg.setAttribute('aria-hidden', 'true');
  for (const [tag, attrs] of ICONS[name]) {
    const part = document.createElementNS(SVG, /** @type {string} */ (tag));
    for (const [k, v] of Object.entries(attrs)) part.setAttribute(k, String(v));
    svg.appendChild(part);
  }
  return svg;
}

/** A round avatar with initials, its colour derived from the address (as Odoo does for partners without a picture). */
export function avatar(name, email, size = 'md') {
  const source = (name || email || '?').trim();
  const words = source.replace(/@.*/, '').split(/[\s._-]+/).filter(Boolean);
  const initials = ((words[0]?.[0] ?? '?') + (words.length > 1 ? words[words.length - 1][0] : '')).toUpperCase();
  let hash = 0;
  for (const ch of email || source) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  const el = h('span', { class: `avatar avatar-${size}`, 'aria-hidden': 'true' }, initials);
  el.style.setProperty('--avatar-hue', String(hash % 360));
  return el;
}

/** "12 Mar 2026, 14:05" in the browser's locale and zone */
export function formatDateTime(iso) {
  return new Date(iso).toLocaleString(undefined, { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' });
}

/** @param {number} bytes */
export function formatSize(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
