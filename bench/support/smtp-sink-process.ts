/**
 * A loopback SMTP sink in its own process (so it does not share the event loop with what is measured).
 * IPC: sends `{ port }` once listening; on `{ expect: n, id }` resets its count, answers `{ ready: id }`, and sends
 * `{ done: id }` when the n-th mail of that round has been accepted (after the 250 is written).
 */
import { SMTPServer } from 'smtp-server';

let count = 0;
let round: { id: number; expect: number } | undefined;

const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  logger: false,
  size: 50 << 20,
  maxClients: 1000,
  onData(stream, _session, callback) {
    stream.on('data', () => undefined);
    stream.on('end', () => {
      callback();
      count++;
      if (round && count === round.expect) process.send!({ done: round.id });
    });
  },
});

process.on('message', (m: { expect: number; id: number }) => {
  count = 0;
  round = m;
  process.send!({ ready: m.id });
});
process.on('disconnect', () => server.close(() => process.exit(0)));
server.listen(0, '127.0.0.1', () => process.send!({ port: (server.server.address() as { port: number }).port }));
