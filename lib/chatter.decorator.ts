/**
 * Who may post into an existing thread of a model by mail (a reply: signed reply address, In-Reply-To, References).
 * `recipients` (default): internal users, the record's followers, and the author and recipients of the message
 * answered; `partners`: any active partner we know; `everyone`: anyone. A refused reply ends `rejected` on the ledger.
 */
export interface ReplyPolicy {
  from?: 'recipients' | 'partners' | 'everyone';
  /** a reply to an internal note from someone who is not an internal user: `refuse` (default) or `allow` (as a note) */
  outsidersOnNotes?: 'refuse' | 'allow';
}

/** What `@Chatter()` records on a host entity. */
export interface ChatterOptions {
  /** the model name used in the thread link and URLs, e.g. `ticket`; unique across the app */
  model: string;
  /** fields whose changes are logged as one `tracking` message per record per flush */
  track?: string[];
  /** field holding the record's contact email (alias-created records fill it from the sender) */
  primaryEmail?: string;
  /** field holding the record's display name; default: the first of `name`, `subject`, `title` that exists */
  nameField?: string;
  /** field holding the assignee; the assigned user follows the record */
  assignee?: string;
  /** what deleting a record does to its thread: `delete` (default) removes it all; `orphan` keeps the messages */
  onDelete?: 'delete' | 'orphan';
  /** who may reply into this model's threads by mail (default: `{ from: 'recipients', outsidersOnNotes: 'refuse' }`) */
  replies?: ReplyPolicy;
  /** an inbound alias that creates records of this model, e.g. `{ name: 'support' }` */
  alias?: {
    name: string;
    domain?: string;
    defaults?: Record<string, unknown>;
    contactPolicy?: 'everyone' | 'partners' | 'followers';
    /** post every mail on this record instead of creating one */
    forceThreadId?: string | number;
    /** match the local part on any domain */
    localPartOnly?: boolean;
    /** the text sent to refused senders */
    bounceMessage?: string;
  };
}

const CHATTER_METADATA = Symbol.for('nestjs-chatter:model');

/** Gives a MikroORM entity a chatter. The decorator only records metadata; the model registry reads it at boot. */
export function Chatter(options: ChatterOptions): ClassDecorator {
  if (!options?.model || !/^[a-z][a-z0-9_.-]{0,127}$/i.test(options.model)) {
    throw new Error(`@Chatter(): "model" must be a name like "ticket" (letters, digits, _ . -), got ${JSON.stringify(options?.model)}`);
  }
  return (target) => {
    Reflect.defineMetadata(CHATTER_METADATA, { ...options }, target);
  };
}

export function getChatterOptions(target: Function): ChatterOptions | undefined {
  return Reflect.getMetadata(CHATTER_METADATA, target) as ChatterOptions | undefined;
}
