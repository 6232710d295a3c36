import { Liquid, type Template } from 'liquidjs';

/**
 * The template engine: Liquid (liquidjs), set up as a sandbox for templates that users store and edit.
 * - No code: Liquid has no expression that calls a function; `ownPropertyOnly` hides prototypes, so
 *   `object.constructor`, `__proto__` and friends render as nothing.
 * - No files: `include`, `render` and `layout` are removed, and the file loader is an empty in-memory map.
 * - Bounded: parse size, render time and memory are capped, so a loop cannot hang the process.
 * - The data is plain JSON (see `templateData`): no entity, no method, no ORM handle ever reaches a template.
 * HTML bodies escape every `{{ value }}` unless piped through `| raw`.
 */
export class TemplateEngine {
  private readonly text: Liquid;
  private readonly html: Liquid;

  constructor(timeZone = 'UTC') {
    this.text = sandboxed(undefined, timeZone);
    this.html = sandboxed('escape', timeZone);
  }

  /** parses a template (syntax errors, unknown filters and forbidden tags throw a `TemplateError`) */
  parse(source: string, kind: 'text' | 'html'): Template[] {
    try {
      return this.engine(kind).parse(source);
    } catch (error) {
      throw new TemplateError((error as Error).message);
    }
  }

  async render(source: string, kind: 'text' | 'html', data: Record<string, unknown>): Promise<string> {
    const template = this.parse(source, kind);
    try {
      const out = await this.engine(kind).render(template, data, { templateLimit: 100_000 });
      return String(out ?? '');
    } catch (error) {
      throw new TemplateError((error as Error).message);
    }
  }

  private engine(kind: 'text' | 'html'): Liquid {
    return kind === 'html' ? this.html : this.text;
  }
}

/** A template that cannot be parsed or rendered; the message says where. */
export class TemplateError extends Error {
  override readonly name = 'TemplateError';
}

function sandboxed(outputEscape: 'escape' | undefined, timeZone: string): Liquid {
  const liquid = new Liquid({
    templates: {},
    relativeReference: false,
    ownPropertyOnly: true,
    strictFilters: true,
    strictVariables: false,
    outputEscape,
    timezoneOffset: timeZone,
    parseLimit: 1_000_000,
    renderLimit: 2_000,
    memoryLimit: 20_000_000,
    cache: 200,
  });
  for (const tag of ['include', 'render', 'layout']) delete (liquid.tags as Record<string, unknown>)[tag];
  return liquid;
}

/**
 * A value as templates see it: JSON only (dates as ISO strings, no functions, no prototypes), so that a template can
 * read fields and nothing else.
 */
export function templateData(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value ?? null, (_key, v) => (typeof v === 'bigint' ? v.toString() : v)));
}
