// planer ships no types; the part we use.
declare module 'planer' {
  /** what `processMarkedLines` cut: lines [firstLine, lastLine) */
  export interface PlanerReturnFlags {
    wereLinesDeleted?: boolean;
    firstLine?: number;
    lastLine?: number;
  }
  const planer: {
    extractFromPlain(text: string): string;
    extractFrom(body: string, contentType: string, dom?: unknown): string;
    /** one marker per line: e empty, m `>` quote, s splitter ("On … wrote:", "From: …", "-----Original Message-----"), f forward, t text */
    markMessageLines(lines: string[]): string;
    processMarkedLines(lines: string[], markers: string, returnFlags?: PlanerReturnFlags): string[];
  };
  export default planer;
}

// its regular expressions, for the line marker in quote-lines.ts
declare module 'planer/lib/regexes.js' {
  const regexes: {
    SPLITTER_PATTERNS: RegExp[];
    QUOT_PATTERN: RegExp;
    FWD: RegExp;
    LINK: RegExp;
    NORMALIZED_LINK: RegExp;
    ON_DATE_SMB_WROTE: RegExp;
  };
  export default regexes;
}
