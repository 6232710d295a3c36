import { Body, Controller, ForbiddenException, Get, Header, HttpCode, NotFoundException, Post, Query, UsePipes } from '@nestjs/common';
import { ControlCharactersPipe } from './control-characters.pipe.js';
import { MikroORM } from '@mikro-orm/core';
import { ChatterConfig } from '../chatter.config.js';
import { ModelRegistry } from '../model-registry.js';
import { verifyUnfollowToken, type UnfollowClaims } from '../outbound/unfollow-token.js';
import { ThreadService } from '../thread/thread.service.js';

/**
 * The unfollow link of notification emails: `GET /chatter/unfollow?token=…` shows a one-button page (mail scanners
 * follow GET links, so GET never changes anything); its `POST` checks the HMAC token and stops the partner following.
 * The token is the authorization: no session is needed, a tampered one is refused (403).
 */
@UsePipes(ControlCharactersPipe)
@Controller('chatter/unfollow')
export class UnfollowController {
  constructor(
    private readonly threads: ThreadService,
    private readonly config: ChatterConfig,
    private readonly models: ModelRegistry,
    private readonly orm: MikroORM,
  ) {}

  @Get()
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('cache-control', 'no-store')
  async confirm(@Query('token') token?: string): Promise<string> {
    const claims = this.verify(token);
    const name = await this.recordName(claims);
    return page(
      `Stop following ${esc(name)}?`,
      `<p>You will no longer receive emails about <b>${esc(name)}</b>.</p>` +
        `<form method="post" action="unfollow"><input type="hidden" name="token" value="${esc(token!)}"><button type="submit">Unfollow</button></form>`,
    );
  }

  @Post()
  @HttpCode(200)
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('cache-control', 'no-store')
  async unfollow(@Body() body: unknown, @Query('token') queryToken?: string): Promise<string> {
    const token = (body && typeof body === 'object' && typeof (body as Record<string, unknown>).token === 'string' ? (body as Record<string, string>).token : undefined) ?? queryToken;
    const claims = this.verify(token);
    const name = await this.recordName(claims);
    await this.threads.unfollow({ model: claims.model, id: claims.id }, claims.partnerId);
    return page('Unfollowed', `<p>You no longer follow <b>${esc(name)}</b>.</p>`);
  }

  private verify(token: string | undefined): UnfollowClaims {
    const claims = token ? verifyUnfollowToken(token, this.config.secret) : undefined;
    if (!claims) throw new ForbiddenException('this unfollow link is not valid');
    return claims;
  }

  /** the record's display name; 404 when the record (or its model) is gone */
  private async recordName(claims: UnfollowClaims): Promise<string> {
    const model = this.models.find(claims.model);
    const record = model ? await this.models.load(this.orm.em.fork(), claims).catch(() => undefined) : undefined;
    if (!model || !record) throw new NotFoundException('the record of this link no longer exists');
    return this.models.displayName(model, record);
  }
}

function page(title: string, body: string): string {
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><meta name="robots" content="noindex"><title>${title}</title></head><body style="font-family:Arial,Helvetica,sans-serif;max-width:480px;margin:48px auto"><h1 style="font-size:20px">${title}</h1>${body}</body></html>`;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
