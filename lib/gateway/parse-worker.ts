/**
 * A parse worker (see ParsePool): parses raw mails off the main thread and answers with plain data. Imports only
 * the parsing code — no Nest, no ORM.
 */
import { parentPort } from 'node:worker_threads';
import { parseInboundData, type ParseContext } from './inbound-mail.js';

export interface ParseRequest {
  id: number;
  raw: Uint8Array;
  ctx: ParseContext;
}

parentPort?.postMessage({ ready: true });
parentPort?.on('message', (request: ParseRequest) => {
  const raw = Buffer.from(request.raw.buffer, request.raw.byteOffset, request.raw.byteLength);
  parseInboundData(raw, request.ctx).then(
    (data) => {
      // attachment bytes move to the main thread instead of being copied (each into a buffer of its own first:
      // mailparser's may share a pooled one)
      const moved: ArrayBuffer[] = [];
      for (const a of data.attachments) {
        const own = new Uint8Array(a.content);
        a.content = own as Buffer;
        moved.push(own.buffer);
      }
      parentPort!.postMessage({ id: request.id, data }, moved);
    },
    (error: Error) => parentPort!.postMessage({ id: request.id, error: { message: String(error?.message ?? error), stack: error?.stack } }),
  );
});
