import { TICKET_STATUSES, type TicketStatus } from '../ticket.entity.js';

/** How the page names a ticket's status (the stored values are the keys). */
export const STATUS_LABELS: Record<TicketStatus, string> = {
  new: 'New',
  in_progress: 'In progress',
  waiting: 'Waiting',
  done: 'Done',
  cancelled: 'Cancelled',
};

/** The statusbar's steps in order (cancelled is off to the side, as in Odoo). */
export const STATUS_STEPS: TicketStatus[] = TICKET_STATUSES.filter((s) => s !== 'cancelled');

/** Labels for tracked fields and their values, handed to the client to show "Status: New → In progress". */
export const TRACKING_LABELS = { fields: { status: 'Status', assignee: 'Assignee' }, values: { status: STATUS_LABELS } };

export function statusLabel(status: string): string {
  return STATUS_LABELS[status as TicketStatus] ?? status;
}
