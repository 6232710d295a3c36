/** launder (sanitize-html's URL check): the one function the body sanitizer uses */
declare module 'launder' {
  export function naughtyHref(href: string, options?: { allowedSchemes?: string[]; allowProtocolRelative?: boolean }): boolean;
}
