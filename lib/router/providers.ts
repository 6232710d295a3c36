import { AliasResolver } from './alias-resolver.js';
import { AliasRule } from './alias.rule.js';
import { BounceRecorder } from './bounce-recorder.js';
import { BounceRule } from './bounce.rule.js';
import { CatchallRule } from './catchall.rule.js';
import { DuplicateRule } from './duplicate.rule.js';
import { FallbackRule } from './fallback.rule.js';
import { InboundRouter } from './inbound-router.js';
import { LoopGuard } from './loop-guard.js';
import { MailDelivery } from './mail-delivery.js';
import { OwnMailRule } from './own-mail.rule.js';
import { ReplyRule } from './reply.rule.js';
import { SenderAnswers } from './sender-answers.js';

/** The router's rules and helpers, for the module's provider list. */
export const INBOUND_ROUTER_PROVIDERS = [
  AliasResolver,
  DuplicateRule,
  OwnMailRule,
  BounceRule,
  ReplyRule,
  AliasRule,
  CatchallRule,
  FallbackRule,
  LoopGuard,
  InboundRouter,
  MailDelivery,
  BounceRecorder,
  SenderAnswers,
];
