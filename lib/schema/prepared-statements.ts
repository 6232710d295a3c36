import { createHash } from 'node:crypto';

/** texts prepared at most: each connection keeps the statements it prepared for as long as it lives */
const MAX_PREPARED = 256;
/** texts seen once remembered at most (then forgotten, so one-offs never pile up) */
const MAX_SEEN_ONCE = 1024;

/** a repeated text's statement name (`chatter_` and a hash of the text: the same on every connection and process) */
const names = new Map<string, string>();
const seenOnce = new Set<string>();
/** the ORM configurations whose host turned prepared statements off (`preparedStatements: false`) */
const turnedOff = new WeakSet<object>();

/**
 * A node-postgres query config: a named statement is parsed and planned once per connection, then only bound and
 * executed (the driver tracks which connection prepared which name).
 */
export interface NamedStatement {
  name: string;
  text: string;
}

/** the host's `preparedStatements: false`, for the ORM whose configuration this is (e.g. behind PgBouncer < 1.21) */
export function turnOffPreparedStatements(ormConfig: object): void {
  turnedOff.add(ormConfig);
}

/**
 * PostgreSQL: what to hand the driver for `text`. The chatter's statements repeat with new values — a batch's
 * look-ups, its ledger INSERT, the one statement that writes its messages — and the server parsed and planned each
 * anew, ~40 ms of its CPU per 1,000 inbound mails. From its second use on, a text goes as a named statement; a text
 * used once (a list of ids of one length) stays unnamed, and past MAX_PREPARED texts every new one does.
 */
export function statementFor(ormConfig: object, text: string): string | NamedStatement {
  if (turnedOff.has(ormConfig)) return text;
  let name = names.get(text);
  if (!name) {
    if (names.size >= MAX_PREPARED) return text;
    if (!seenOnce.has(text)) {
      if (seenOnce.size >= MAX_SEEN_ONCE) seenOnce.clear();
      seenOnce.add(text);
      return text;
    }
    seenOnce.delete(text);
    name = `chatter_${createHash('sha256').update(text).digest('hex').slice(0, 32)}`;
    names.set(text, name);
  }
  // a new object each time: the driver adds the values to it
  return { name, text };
}
