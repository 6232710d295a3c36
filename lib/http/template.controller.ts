import { BadRequestException, Body, Controller, Delete, Get, HttpCode, Param, Post, Query, UsePipes } from '@nestjs/common';
import { ControlCharactersPipe } from './control-characters.pipe.js';
import type { MailTemplate } from '../entities/mail-template.entity.js';
import { isValidEmail } from '../thread/partner.service.js';
import { ThreadService } from '../thread/thread.service.js';
import { TemplateService } from '../template/template.service.js';
import { objectBody, optionalEmail, optionalString, requireInt } from './http-input.js';
import { presentMessage } from './message.presenter.js';

function presentTemplate(t: MailTemplate) {
  return { id: t.id, name: t.name, model: t.resModel, subject: t.subject, body: t.body, updatedAt: t.updatedAt.toISOString() };
}

/** Email templates over HTTP: list, save, preview on a record, and "send with template". */
@UsePipes(ControlCharactersPipe)
@Controller('chatter')
export class TemplateController {
  constructor(
    private readonly templates: TemplateService,
    private readonly threads: ThreadService,
  ) {}

  @Get('templates')
  async list(@Query('model') model?: string) {
    return (await this.templates.list(model || undefined)).map(presentTemplate);
  }

  /** `{ name, model?, subject?, body }`: creates or replaces; a template that does not parse is a 400 */
  @Post('templates')
  async save(@Body() body: unknown) {
    const input = objectBody(body);
    const name = optionalString(input, 'name', 128);
    const source = optionalString(input, 'body', 1_000_000);
    if (!name || source === undefined) throw new BadRequestException('name and body are required');
    return presentTemplate(await this.templates.save({ name, model: optionalString(input, 'model', 128), subject: optionalString(input, 'subject', 10_000), body: source }));
  }

  @Delete('templates/:templateId')
  @HttpCode(204)
  async remove(@Param('templateId') templateId: string) {
    await this.templates.remove(requireInt('template id', templateId));
  }

  @Post(':model/:id/templates/:name/preview')
  @HttpCode(200)
  async preview(@Param('model') model: string, @Param('id') id: string, @Param('name') name: string) {
    const template = await this.templates.find(model, name);
    return this.templates.render(template, { model, id });
  }

  /** `{ recipients?: [emails], authorEmail? }` → the posted message */
  @Post(':model/:id/templates/:name/send')
  async send(@Param('model') model: string, @Param('id') id: string, @Param('name') name: string, @Body() body: unknown) {
    const input = objectBody(body);
    const recipients = input.recipients ?? [];
    if (!Array.isArray(recipients) || recipients.some((r) => typeof r !== 'string' || !isValidEmail(r))) {
      throw new BadRequestException('recipients must be an array of email addresses');
    }
    const authorEmail = optionalEmail(input, 'authorEmail');
    const message = await this.templates.sendWithTemplate({ model, id }, name, {
      recipients: recipients.map((email: string) => ({ email })),
      author: authorEmail ? { email: authorEmail } : undefined,
    });
    const [entry] = await this.threads.messages({ model, id }, { before: message.id + 1, limit: 1 });
    return presentMessage(entry);
  }
}
