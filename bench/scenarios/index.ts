import type { BenchScenario } from '../result.js';
import { fanout1000 } from './fanout-1000.js';
import { fanout1000Bull } from './fanout-1000-bull.js';
import { imap1000 } from './imap-1000.js';
import { inboundCorpus } from './inbound-corpus.js';
import { inboundCorpusBull } from './inbound-corpus-bull.js';
import { mailgateOverhead } from './mailgate-overhead.js';
import { postMessage } from './post-message.js';
import { replyLatency } from './reply-latency.js';
import { threadPage } from './thread-page.js';

/** Every scenario `npm run bench` knows, in the order it runs them. Add yours here. */
export const SCENARIOS: BenchScenario[] = [threadPage, postMessage, fanout1000, inboundCorpus, mailgateOverhead, imap1000, replyLatency, fanout1000Bull, inboundCorpusBull];
