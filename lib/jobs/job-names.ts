/**
 * Every background job the chatter runs. Bull needs the queue names when the module is built, so they are listed
 * here once; the in-process runner accepts the same names.
 */
export const CHATTER_JOB_NAMES = [
  'chatter.outbox.send',
  'chatter.inbound.process',
  'chatter.mailbox.fetch',
  'chatter.activity.digest',
] as const;

export type ChatterJobName = (typeof CHATTER_JOB_NAMES)[number];
