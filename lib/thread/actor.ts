import { AsyncLocalStorage } from 'node:async_hooks';
import type { ActorRef } from '../chatter.options.js';

const storage = new AsyncLocalStorage<ActorRef | null>();

/** Runs `fn` with `actor` as the current user: record creation, tracking and posts are attributed to them. */
export function runAsActor<T>(actor: ActorRef | null, fn: () => T): T {
  return storage.run(actor, fn);
}

/** the actor set by `runAsActor`, `undefined` when none was set (`null` means "the system", explicitly) */
export function actorFromContext(): ActorRef | null | undefined {
  return storage.getStore();
}
