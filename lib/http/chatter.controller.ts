import { BadRequestException, Body, Controller, Delete, Get, HttpCode, Param, Post, Query, UsePipes } from '@nestjs/common';
import { ControlCharactersPipe } from './control-characters.pipe.js';
import { isValidEmail } from '../thread/partner.service.js';
import { ThreadService } from '../thread/thread.service.js';
import { presentFollower, presentMessage } from './message.presenter.js';
import { optionalEmail, optionalInt, optionalIntArray, requireInt, requireObjectBody, requireString } from './http-input.js';

/**
 * The chatter's HTTP API, mounted under `/chatter` when the module is imported with `{ http: true }`.
 * Authentication and authorization are the host's: put a guard in front of it.
 */
@UsePipes(ControlCharactersPipe)
@Controller('chatter')
export class ChatterController {
  constructor(
    private readonly threads: ThreadService,
  ) {}

  @Get(':model/:id/messages')
  async messages(@Param('model') model: string, @Param('id') id: string, @Query('limit') limit?: string, @Query('before') before?: string) {
    const page = await this.threads.messages({ model, id }, { limit: optionalInt('limit', limit), before: optionalInt('before', before) });
    return page.map(presentMessage);
  }

  @Post(':model/:id/messages')
  async post(@Param('model') model: string, @Param('id') id: string, @Body() body: unknown) {
    const input = requireObjectBody(body);
    const text = requireString(input, 'body');
    const type = input.type ?? 'comment';
    if (type !== 'comment' && type !== 'note') throw new BadRequestException('type must be "comment" or "note"');
    // never guessed from the body: "x < 3 && y > 2 then <foo>" is text a person typed, not markup
    const format = input.format ?? 'text';
    if (format !== 'text' && format !== 'html') throw new BadRequestException('format must be "text" or "html"');
    const authorEmail = optionalEmail(input, 'authorEmail');
    const mentions = input.mentions ?? [];
    if (!Array.isArray(mentions) || mentions.some((m) => typeof m !== 'string' || !isValidEmail(m))) {
      throw new BadRequestException('mentions must be an array of email addresses');
    }
    const message = await this.threads.post(
      { model, id },
      {
        body: text,
        format,
        type,
        subject: typeof input.subject === 'string' ? input.subject : undefined,
        author: authorEmail ? { email: authorEmail, name: typeof input.authorName === 'string' ? input.authorName : undefined } : undefined,
        mentions: mentions.map((email: string) => ({ email })),
        // uploads from POST /chatter/:model/:id/attachments, moved onto this message
        attachmentIds: optionalIntArray(input, 'attachmentIds'),
      },
    );
    const [loaded] = await this.threads.messages({ model, id }, { before: message.id + 1, limit: 1 });
    return presentMessage(loaded);
  }

  @Get(':model/:id/followers')
  async followers(@Param('model') model: string, @Param('id') id: string) {
    return (await this.threads.listFollowers({ model, id })).map(presentFollower);
  }

  @Post(':model/:id/followers')
  async follow(@Param('model') model: string, @Param('id') id: string, @Body() body: unknown) {
    const input = requireObjectBody(body);
    const email = optionalEmail(input, 'email');
    if (!email) throw new BadRequestException('email is required');
    const subtypes = input.subtypes;
    if (subtypes !== undefined && (!Array.isArray(subtypes) || subtypes.some((s) => typeof s !== 'string'))) {
      throw new BadRequestException('subtypes must be an array of subtype names');
    }
    const follower = await this.threads.follow({ model, id }, { email, name: typeof input.name === 'string' ? input.name : undefined }, subtypes as string[] | undefined);
    return presentFollower(follower);
  }

  @Delete(':model/:id/followers/:partnerId')
  @HttpCode(204)
  async unfollow(@Param('model') model: string, @Param('id') id: string, @Param('partnerId') partnerId: string) {
    await this.threads.listFollowers({ model, id }); // 404 for an unknown record
    const removed = await this.threads.unfollow({ model, id }, requireInt('partnerId', partnerId));
    if (!removed) throw new BadRequestException(`partner ${partnerId} does not follow ${model} ${id}`);
  }
}
