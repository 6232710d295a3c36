/**
 * Our notification footer as it comes back quoted in replies. Its unfollow link is signed for one recipient: a reply
 * relayed to the other followers must not hand them that recipient's link, wherever in the body it was left.
 */
const UNFOLLOW_ANCHOR = /<a\b[^>]*?href\s*=\s*["']?[^"'>\s]*\/chatter\/unfollow\?token=[^>]*>([\s\S]*?)<\/a\s*>/gi;
const UNFOLLOW_URL = /(?:Unfollow:[ \t]*)?[^\s"'<>()]*\/chatter\/unfollow\?token=[^\s"'<>()]*/g;

/** `body` (HTML or text) without our unfollow links: an anchor keeps its label, a bare URL goes */
export function withoutUnfollowLinks(body: string): string {
  if (!body.includes('/chatter/unfollow?')) return body;
  return body.replace(UNFOLLOW_ANCHOR, (_all, label: string) => (label.includes('/chatter/unfollow?') ? '' : label)).replace(UNFOLLOW_URL, '');
}
