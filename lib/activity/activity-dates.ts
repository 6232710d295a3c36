import { BadRequestException } from '@nestjs/common';

/** overdue: the deadline has passed · today: it is today · planned: later */
export type ActivityState = 'overdue' | 'today' | 'planned';

/** what day it is in `timeZone` at `now`, as `YYYY-MM-DD` */
export function todayIn(timeZone: string, now: Date = new Date()): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(now);
  const get = (type: string) => parts.find((p) => p.type === type)!.value;
  return `${get('year')}-${get('month')}-${get('day')}`;
}

/** `YYYY-MM-DD` plus `days` calendar days */
export function addDays(day: string, days: number): string {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

/** whole days from `today` to `deadline` (negative when overdue) */
export function daysBetween(today: string, deadline: string): number {
  return Math.round((Date.parse(`${deadline}T00:00:00Z`) - Date.parse(`${today}T00:00:00Z`)) / 86_400_000);
}

export function activityState(deadline: string, today: string): ActivityState {
  return deadline < today ? 'overdue' : deadline === today ? 'today' : 'planned';
}

/** a deadline from a caller: a `YYYY-MM-DD` day that exists, or a Date read as its day in `timeZone` */
export function parseDeadline(value: unknown, timeZone: string): string {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new BadRequestException('deadline is not a valid date');
    return todayIn(timeZone, value);
  }
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value) || new Date(`${value}T00:00:00Z`).toISOString().slice(0, 10) !== value) {
    throw new BadRequestException(`deadline must be a day as YYYY-MM-DD, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** the next time it is `hour`:00 in `timeZone`, strictly after `now` */
export function nextHourIn(timeZone: string, hour: number, now: Date = new Date()): Date {
  // walk forward in quarter hours: right across DST changes and half-hour zones, without a time zone library
  const format = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  const quarter = 900_000;
  const start = Math.floor(now.getTime() / quarter) * quarter + quarter;
  for (let i = 0; i < 4 * 49; i++) {
    const candidate = new Date(start + i * quarter);
    if (format.format(candidate) === `${String(hour).padStart(2, '0')}:00`) return candidate;
  }
  return new Date(now.getTime() + 86_400_000);
}
