import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { MikroORM } from '@mikro-orm/core';
import { ChatterHealth } from '../lib/index.js';

@Controller('health')
export class HealthController {
  constructor(
    private readonly orm: MikroORM,
    private readonly chatter: ChatterHealth,
  ) {}

  @Get()
  async health() {
    const started = Date.now();
    const connected = await this.orm.isConnected();
    const database = { status: connected ? 'up' : 'down', driver: this.orm.config.getDriver().constructor.name, latencyMs: Date.now() - started };
    if (!connected) throw new ServiceUnavailableException({ status: 'error', database });
    // IMAP_URL's mailbox (last fetch, success, error and their age), outbox backlog, failed inbound mails, queue counts;
    // a failing mailbox or a backlog does not make the app unhealthy, it shows under chatter.problems
    const { chatter } = await this.chatter.isHealthy('chatter');
    return { status: 'ok', database, mailboxes: chatter.mailboxes, chatter };
  }
}
