import type { ActivityOptions, ActivityTypeOptions } from '../chatter.options.js';

export interface ResolvedActivityOptions {
  types: ActivityTypeOptions[];
  timeZone: string;
  /** the hour (0-23, in `timeZone`) of the daily digest; null when it is off */
  digestHour: number | null;
}

/** Checks the activity options once, at boot: a bad time zone or hour fails the boot, not the first digest. */
export function resolveActivityOptions(options: ActivityOptions | undefined): ResolvedActivityOptions {
  const timeZone = options?.timeZone ?? 'UTC';
  try {
    new Intl.DateTimeFormat('en-CA', { timeZone });
  } catch {
    throw new Error(`ChatterModule: activities.timeZone "${timeZone}" is not a time zone (use an IANA name like "Europe/Brussels")`);
  }
  const digest = options?.dailyDigest;
  const digestHour = !digest ? null : digest === true ? 7 : (digest.hour ?? 7);
  if (digestHour !== null && (!Number.isInteger(digestHour) || digestHour < 0 || digestHour > 23)) {
    throw new Error(`ChatterModule: activities.dailyDigest.hour must be an integer from 0 to 23, got ${digestHour}`);
  }
  for (const type of options?.types ?? []) {
    if (!type?.name?.trim()) throw new Error('ChatterModule: every activities.types entry needs a name');
    if (type.delayDays !== undefined && (!Number.isInteger(type.delayDays) || type.delayDays < 0)) {
      throw new Error(`ChatterModule: activity type "${type.name}": delayDays must be a whole number of days ≥ 0`);
    }
  }
  return { types: options?.types ?? [], timeZone, digestHour };
}
