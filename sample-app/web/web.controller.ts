import { Controller, Get, Param, Redirect, Res } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/core';
import type { Response } from 'express';
import { Ticket } from '../ticket.entity.js';
import { html } from './html.js';
import { layout } from './layout.js';
import { setPageHeaders } from './security-headers.js';
import { ticketListPage } from './ticket-list.page.js';
import { ticketPage } from './ticket.page.js';

/** The demo's pages: server-rendered HTML; the chatter and the form's saving are done by the page's scripts. */
@Controller()
export class WebController {
  constructor(private readonly em: EntityManager) {}

  @Get()
  @Redirect('/web/tickets', 302)
  home() {}

  @Get('web/tickets')
  async list(@Res() res: Response) {
    const tickets = await this.em.fork().find(Ticket, {}, { orderBy: { id: 'desc' }, limit: 200 });
    setPageHeaders(res);
    res.type('html').send(ticketListPage(tickets));
  }

  @Get('web/tickets/:id')
  async ticket(@Param('id') id: string, @Res() res: Response) {
    const ticket = /^\d{1,15}$/.test(id) ? await this.em.fork().findOne(Ticket, Number(id)) : null;
    setPageHeaders(res);
    if (!ticket) {
      const main = html`<section class="list-page"><h1>Ticket not found</h1><p>There is no ticket ${id}. <a href="/web/tickets">Back to the tickets</a>.</p></section>`;
      res.status(404).type('html').send(layout({ title: 'Not found', page: 'not-found', main, script: 'ticket-list.js' }));
      return;
    }
    res.type('html').send(ticketPage(ticket));
  }
}

