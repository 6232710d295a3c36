import { SafeHtml } from './html.js';

/** Line icons (24×24, stroked), drawn here so the page needs no icon font and no emoji font. */
export const ICON_PATHS = {
  envelope: '<rect x="3" y="5" width="18" height="14" rx="2"/><path d="m3 7 9 6 9-6"/>',
  paperclip: '<path d="M21 11.5 12.5 20a5 5 0 0 1-7-7L14 4.5a3.5 3.5 0 0 1 5 5L10.5 18a2 2 0 0 1-3-3L15 7.5"/>',
  user: '<circle cx="12" cy="8" r="4"/><path d="M4 21c0-4 4-6 8-6s8 2 8 6"/>',
  clock: '<circle cx="12" cy="12" r="9"/><path d="M12 7v5l3 2"/>',
  note: '<path d="M5 3h10l4 4v14H5z"/><path d="M9 12h6M9 16h6M9 8h3"/>',
  chat: '<path d="M4 5h16v11H9l-5 4z"/>',
  check: '<path d="m5 12 5 5 9-10"/>',
} as const;

export type IconName = keyof typeof ICON_PATHS;

export function icon(name: IconName, label?: string): SafeHtml {
  const a11y = label ? `role="img" aria-label="${label}"` : 'aria-hidden="true"';
  return new SafeHtml(
    `<svg class="icon icon-${name}" ${a11y} viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">${ICON_PATHS[name]}</svg>`,
  );
}
