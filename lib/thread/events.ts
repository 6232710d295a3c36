import { EventEmitter } from 'node:events';
import { Injectable } from '@nestjs/common';

/** Events the chatter emits after the fact (after commit), for hosts to react to. */
export interface ChatterEventMap {
  'chatter.message.posted': [{ messageId: number; model: string; resId: string; type: string }];
  'chatter.mail.sent': [{ outgoingMailId: number; messageId: number | null; to: string }];
  'chatter.mail.failed': [{ outgoingMailId: number; messageId: number | null; to: string; reason: string; permanent: boolean }];
  'chatter.inbound.processed': [{ inboundEmailId: number; status: string; reason: string }];
}

/** A typed event emitter; listener errors are caught and logged, never breaking the operation that emitted. */
@Injectable()
export class ChatterEvents extends EventEmitter<ChatterEventMap> {}
