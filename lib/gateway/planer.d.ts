// planer ships no types; the part we use.
declare module 'planer' {
  const planer: { extractFromPlain(text: string): string; extractFrom(body: string, contentType: string, dom?: unknown): string };
  export default planer;
}
