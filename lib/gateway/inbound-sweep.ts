import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InboundConfig } from './inbound-config.js';
import { InboundGateway } from './inbound-gateway.js';

/**
 * Takes back inbound mails whose processing replica died: their claim expires after `processingLeaseMs`, and this
 * sweep (on every replica, every half lease) schedules them again. Without it they would wait for the next boot — and
 * a replica restarting right after a crash finds the claims still fresh.
 */
@Injectable()
export class InboundSweep implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ChatterInbound');
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly gateway: InboundGateway,
    private readonly config: InboundConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.autoProcess) return;
    this.timer = setInterval(() => {
      this.gateway.resumePending().catch((error: Error) => this.logger.warn(`inbound sweep failed: ${error.message}`));
    }, Math.max(1_000, Math.floor(this.config.processingLeaseMs / 2)));
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
