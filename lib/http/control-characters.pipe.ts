import { BadRequestException, Injectable, type ArgumentMetadata, type PipeTransform } from '@nestjs/common';

/** C0 controls but tab, line feed and carriage return, and DEL: no text a person types holds them */
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;

/**
 * Refuses a request whose body, path or query holds a NUL or another control character with a 400 naming the field
 * (a NUL reached the database as a 500 before: SQLite and PostgreSQL both refuse it in text).
 */
@Injectable()
export class ControlCharactersPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type === 'custom') return value;
    const field = firstControl(value, metadata.type === 'body' ? (metadata.data ?? '') : (metadata.data ?? metadata.type));
    if (field !== undefined) throw new BadRequestException(`${field || 'the body'} contains a NUL or control character`);
    return value;
  }
}

/** the path of the first string holding a control character (keys included), or undefined */
function firstControl(value: unknown, path: string, depth = 0): string | undefined {
  if (typeof value === 'string') return CONTROL.test(value) ? path : undefined;
  if (depth > 32 || value === null || typeof value !== 'object' || Buffer.isBuffer(value)) return undefined;
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = firstControl(item, `${path}[${i}]`, depth + 1);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) return undefined;
  for (const [key, item] of Object.entries(value)) {
    const at = path ? `${path}.${key}` : key;
    if (CONTROL.test(key)) return at;
    const found = firstControl(item, at, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}
