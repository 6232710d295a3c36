import { BadRequestException, Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, UsePipes } from '@nestjs/common';
import { ControlCharactersPipe } from './control-characters.pipe.js';
import { ActivityService } from '../activity/activity.service.js';
import { ActivityTypeService } from '../activity/activity-type.service.js';
import type { ActivityState } from '../activity/activity-dates.js';
import { PartnerService } from '../thread/partner.service.js';
import { ThreadService } from '../thread/thread.service.js';
import { presentActivity, presentActivityType } from './activity.presenter.js';
import { objectBody, optionalEmail, optionalString, requireInt } from './http-input.js';
import { presentMessage } from './message.presenter.js';

const STATES: ActivityState[] = ['overdue', 'today', 'planned'];

/** Activities over HTTP, mounted under `/chatter` with the rest of the chatter API. */
@UsePipes(ControlCharactersPipe)
@Controller('chatter')
export class ActivityController {
  constructor(
    private readonly activities: ActivityService,
    private readonly types: ActivityTypeService,
    private readonly partners: PartnerService,
    private readonly threads: ThreadService,
  ) {}

  @Get('activity-types')
  async activityTypes(@Query('model') model?: string) {
    return (await this.types.list(model || undefined)).map(presentActivityType);
  }

  /** `?assignee=email` (default: the current actor), `&states=overdue,today` */
  @Get('activities')
  async mine(@Query('assignee') assignee?: string, @Query('states') states?: string) {
    const email = assignee ? optionalEmail({ assignee }, 'assignee') : this.partners.currentActor()?.email;
    if (!email) throw new BadRequestException('assignee is required (an email), or act as a user');
    const wanted = states ? states.split(',').map((s) => s.trim()) : undefined;
    if (wanted?.some((s) => !STATES.includes(s as ActivityState))) throw new BadRequestException(`states must be among ${STATES.join(', ')}`);
    return (await this.activities.activitiesFor({ email }, { states: wanted as ActivityState[] | undefined })).map(presentActivity);
  }

  @Get(':model/:id/activities')
  async list(@Param('model') model: string, @Param('id') id: string) {
    return (await this.activities.activitiesOf({ model, id })).map(presentActivity);
  }

  /** `{ type (id or name), assigneeEmail, assigneeName?, summary?, note?, deadline? (YYYY-MM-DD) }` */
  @Post(':model/:id/activities')
  async schedule(@Param('model') model: string, @Param('id') id: string, @Body() body: unknown) {
    const input = objectBody(body);
    const type = input.type;
    if (!(typeof type === 'string' && type.trim()) && !Number.isSafeInteger(type)) throw new BadRequestException('type must be an activity type id or name');
    const email = optionalEmail(input, 'assigneeEmail');
    if (!email) throw new BadRequestException('assigneeEmail is required');
    // the assignee is a user: map the address the way the host maps assignees
    const user = (await this.partners.resolveAssignee(email)) ?? { email, userId: email };
    const activity = await this.activities.schedule(
      { model, id },
      {
        type,
        assignee: { ...user, name: optionalString(input, 'assigneeName', 256) ?? user.name, userId: user.userId ?? user.email },
        summary: optionalString(input, 'summary', 256),
        note: optionalString(input, 'note'),
        deadline: optionalString(input, 'deadline', 10),
      },
    );
    return presentActivity(await this.activities.get(activity.id));
  }

  @Patch('activities/:activityId')
  async reschedule(@Param('activityId') activityId: string, @Body() body: unknown) {
    const deadline = optionalString(objectBody(body), 'deadline', 10);
    if (!deadline) throw new BadRequestException('deadline is required (YYYY-MM-DD)');
    const activity = await this.activities.reschedule(requireInt('activity id', activityId), deadline);
    return presentActivity(await this.activities.get(activity.id));
  }

  /** `{ feedback? }` → the `activity` message posted in the thread */
  @Post('activities/:activityId/done')
  @HttpCode(200)
  async done(@Param('activityId') activityId: string, @Body() body: unknown) {
    const feedback = optionalString(objectBody(body), 'feedback');
    const message = await this.activities.markDone(requireInt('activity id', activityId), feedback);
    const [entry] = await this.threads.messages({ model: message.resModel, id: message.resId }, { before: message.id + 1, limit: 1 });
    return presentMessage(entry);
  }

  @Delete('activities/:activityId')
  @HttpCode(204)
  async cancel(@Param('activityId') activityId: string) {
    await this.activities.cancel(requireInt('activity id', activityId));
  }
}
