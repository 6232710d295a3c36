/**
 * `Content-Disposition: attachment` with the file name twice (RFC 6266): an ASCII fallback in `filename`, and the
 * exact name in `filename*=UTF-8''…` (RFC 8187), which every current browser reads.
 */
export function contentDisposition(name: string, type: 'attachment' | 'inline' = 'attachment'): string {
  const fallback = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_') || 'attachment';
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${type}; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

/** reads the file name back from a Content-Disposition header (tests and clients) */
export function filenameFromDisposition(header: string): string | undefined {
  const star = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(header);
  if (star) return decodeURIComponent(star[1].trim());
  return /filename\s*=\s*"([^"]*)"/i.exec(header)?.[1];
}
