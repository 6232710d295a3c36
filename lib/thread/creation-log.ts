import { AsyncLocalStorage } from 'node:async_hooks';

const storage = new AsyncLocalStorage<boolean>();

/**
 * Runs `fn` with Odoo's `mail_create_nolog` + `mail_create_nosubscribe`: a record created meanwhile gets no "created"
 * message and its creator does not follow it by the lifecycle. Inbound mail uses it: a record made from a mail starts
 * with that mail as its first message, and the mail's sender is subscribed by the delivery, with the default subtypes.
 */
export function withoutCreationLog<T>(fn: () => T): T {
  return storage.run(true, fn);
}

/** true inside `withoutCreationLog` */
export function creationLogDisabled(): boolean {
  return storage.getStore() === true;
}
