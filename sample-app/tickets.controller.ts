import { BadRequestException, Body, Controller, Get, NotFoundException, Param, Patch, Post } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/core';
import { isValidEmail } from '../lib/index.js';
import { TICKET_STATUSES, Ticket, type TicketStatus } from './ticket.entity.js';

@Controller('tickets')
export class TicketsController {
  constructor(private readonly em: EntityManager) {}

  @Post()
  async create(@Body() body: unknown) {
    const input = asObject(body);
    const subject = input.subject;
    if (typeof subject !== 'string' || !subject.trim()) throw new BadRequestException('subject must be a non-empty string');
    if (input.description !== undefined && typeof input.description !== 'string') throw new BadRequestException('description must be a string');
    const customerEmail = input.customerEmail;
    if (customerEmail !== undefined && (typeof customerEmail !== 'string' || !isValidEmail(customerEmail))) {
      throw new BadRequestException('customerEmail must be an email address');
    }
    const em = this.em.fork();
    const ticket = em.create(Ticket, { subject: subject.trim(), description: input.description ?? '', customerEmail: customerEmail ?? null });
    await em.persist(ticket).flush();
    return { id: ticket.id };
  }

  @Get()
  list() {
    return this.em.fork().find(Ticket, {}, { orderBy: { id: 'desc' }, limit: 100 });
  }

  @Get(':id')
  async get(@Param('id') id: string) {
    return this.load(this.em.fork(), id);
  }

  @Patch(':id')
  async update(@Param('id') id: string, @Body() body: unknown) {
    const input = asObject(body);
    const em = this.em.fork();
    const ticket = await this.load(em, id);
    if (input.subject !== undefined) {
      if (typeof input.subject !== 'string' || !input.subject.trim()) throw new BadRequestException('subject must be a non-empty string');
      ticket.subject = input.subject.trim();
    }
    if (input.status !== undefined) {
      if (!TICKET_STATUSES.includes(input.status)) throw new BadRequestException(`status must be one of ${TICKET_STATUSES.join(', ')}`);
      ticket.status = input.status as TicketStatus;
    }
    if (input.assignee !== undefined) {
      if (input.assignee !== null && (typeof input.assignee !== 'string' || !isValidEmail(input.assignee))) {
        throw new BadRequestException('assignee must be an email address or null');
      }
      ticket.assignee = input.assignee;
    }
    await em.flush();
    return ticket;
  }

  private async load(em: EntityManager, id: string): Promise<Ticket> {
    const ticket = /^\d{1,15}$/.test(id) ? await em.findOne(Ticket, Number(id)) : null;
    if (!ticket) throw new NotFoundException(`ticket ${id} not found`);
    return ticket;
  }
}

function asObject(body: unknown): Record<string, any> {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new BadRequestException('expected a JSON object body');
  return body as Record<string, any>;
}
