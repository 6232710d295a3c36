import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ThreadRef } from '../model-registry.js';

export interface UnfollowClaims extends ThreadRef {
  partnerId: number;
}

/**
 * The token of an unfollow link: `{partnerId}.{model}.{id}.{hmac}` (model and id base64url-encoded), signed with the
 * module secret under its own purpose, so it can never pass for a reply address or anything else we sign.
 */
export function signUnfollowToken(claims: UnfollowClaims, secret: string): string {
  const body = `${claims.partnerId}.${Buffer.from(claims.model).toString('base64url')}.${Buffer.from(claims.id).toString('base64url')}`;
  return `${body}.${mac(body, secret)}`;
}

export function verifyUnfollowToken(token: string, secret: string): UnfollowClaims | undefined {
  const m = /^(\d{1,15})\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]{22})$/.exec(token ?? '');
  if (!m) return undefined;
  const body = `${m[1]}.${m[2]}.${m[3]}`;
  const expected = Buffer.from(mac(body, secret));
  const given = Buffer.from(m[4]);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  return { partnerId: Number(m[1]), model: Buffer.from(m[2], 'base64url').toString(), id: Buffer.from(m[3], 'base64url').toString() };
}

/** the unfollow page's URL under the host's base URL (the controller is mounted at `/chatter`) */
export function unfollowUrl(baseUrl: string, token: string): string {
  return `${baseUrl}/chatter/unfollow?token=${encodeURIComponent(token)}`;
}

function mac(body: string, secret: string): string {
  return createHmac('sha256', secret).update('chatter-unfollow\0').update(body).digest().subarray(0, 16).toString('base64url');
}
