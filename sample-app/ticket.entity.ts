import { Entity, Enum, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import type { Opt } from '@mikro-orm/core';
import { Chatter } from '../lib/index.js';

export const TICKET_STATUSES = ['new', 'in_progress', 'waiting', 'done', 'cancelled'] as const;
export type TicketStatus = (typeof TICKET_STATUSES)[number];

/** A helpdesk ticket: status and assignee changes are tracked in its chatter. */
@Chatter({ model: 'ticket', track: ['status', 'assignee'], primaryEmail: 'customerEmail', assignee: 'assignee', alias: { name: 'support' } })
@Entity({ tableName: 'ticket' })
export class Ticket {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  @Property({ type: 'string', length: 998 })
  subject!: string;

  @Property({ type: 'text' })
  description: Opt<string> = '';

  @Enum({ items: [...TICKET_STATUSES], length: 16 })
  status: Opt<TicketStatus> = 'new';

  /** the agent's email */
  @Property({ type: 'string', length: 320, nullable: true })
  assignee: string | null = null;

  @Property({ type: 'string', length: 320, nullable: true })
  customerEmail: string | null = null;

  @Property({ type: 'Date' })
  createdAt: Opt<Date> = new Date();
}
