import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { MikroORM } from '@mikro-orm/core';

@Controller('health')
export class HealthController {
  constructor(private readonly orm: MikroORM) {}

  @Get()
  async health() {
    const started = Date.now();
    const connected = await this.orm.isConnected();
    const database = { status: connected ? 'up' : 'down', driver: this.orm.config.getDriver().constructor.name, latencyMs: Date.now() - started };
    if (!connected) throw new ServiceUnavailableException({ status: 'error', database });
    return { status: 'ok', database };
  }
}
