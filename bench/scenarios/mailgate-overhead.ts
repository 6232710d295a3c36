/**
 * mailgate-overhead: milliseconds per mail through the `chatter-mailgate` pipe CLI (a Node process per mail, as an
 * MTA runs it: read stdin, POST to the relay, exit once the ledger row is committed), sequentially.
 * baseline = starting a bare `node -e ""` process; ratio = ours / baseline (the relay's share is the excess).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ChatterModule } from '../../lib/index.js';
import { Lead } from '../../sample-app/lead.entity.js';
import { Ticket } from '../../sample-app/ticket.entity.js';
import { result, median, type BenchScenario } from '../result.js';
import { withBenchApp } from '../support/bench-app.js';

const N = 30;
const TOKEN = 'bench-relay-token-0123456789';
const CLI = fileURLToPath(new URL('../../../bin/chatter-mailgate.mjs', import.meta.url));

export const mailgateOverhead: BenchScenario = {
  name: 'mailgate-overhead',
  async run() {
    return [
      await withBenchApp(
        'sqlite',
        async (app) => {
          const env = { PATH: process.env.PATH ?? '', CHATTER_INBOUND_URL: `${app.url}/chatter/inbound`, CHATTER_INBOUND_TOKEN: TOKEN };
          const ours: number[] = [];
          const bare: number[] = [];
          for (let i = 0; i < N; i++) {
            const raw = `From: a${i}@outside.test\r\nTo: support@example.test\r\nSubject: pipe ${i}\r\nMessage-ID: <pipe${i}.${Date.now()}@outside.test>\r\n\r\nHello ${i}\r\n`;
            ours.push(await timed(process.execPath, [CLI, 'support@example.test'], env, raw));
            bare.push(await timed(process.execPath, ['-e', ''], env, ''));
          }
          return result('mailgate-overhead', 'ms/mail', median(ours), median(bare), N);
        },
        {
          http: true,
          entities: [Ticket, Lead],
          imports: [ChatterModule.forFeature([Ticket, Lead])],
          chatter: { http: true, incoming: { relayToken: TOKEN } } as any,
        },
      ),
    ];
  },
};

function timed(cmd: string, args: string[], env: Record<string, string>, stdin: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(cmd, args, { env, stdio: ['pipe', 'ignore', 'inherit'] });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(performance.now() - started) : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}`))));
    child.stdin.end(stdin);
  });
}
