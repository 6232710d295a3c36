import { AsyncLocalStorage } from 'node:async_hooks';
import type { NextFunction, Request, Response } from 'express';
import type { ActorRef } from '../lib/index.js';
import { isValidEmail } from '../lib/index.js';

const storage = new AsyncLocalStorage<ActorRef | undefined>();

/**
 * The demo has no login: an agent says who they are with `X-User-Email` (and `X-User-Name`).
 * A real host reads its session here instead.
 */
export function currentUserMiddleware(req: Request, _res: Response, next: NextFunction): void {
  const email = req.header('x-user-email');
  const actor = email && isValidEmail(email) ? { email, userId: email.toLowerCase(), name: req.header('x-user-name') ?? undefined } : undefined;
  storage.run(actor, next);
}

export function currentUser(): ActorRef | undefined {
  return storage.getStore();
}
