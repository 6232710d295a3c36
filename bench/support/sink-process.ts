import { fork, type ChildProcess } from 'node:child_process';

/** The SMTP sink in a process of its own (smtp-sink-process.ts), so it does not share our CPU time; counts rounds by IPC. */
export class SinkProcess {
  private rounds = 0;
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {}

  static async start(): Promise<SinkProcess> {
    const child = fork(new URL('./smtp-sink-process.js', import.meta.url), [], { stdio: 'inherit' });
    const port = await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`the sink process exited (${code})`)));
      child.once('message', (m: { port: number }) => resolve(m.port));
    });
    return new SinkProcess(child, port);
  }

  /** starts counting a round; resolves once the sink is ready, with `done`: the round's last acceptance */
  async expect(n: number): Promise<{ done: Promise<void> }> {
    const id = ++this.rounds;
    let resolveDone!: () => void;
    const done = new Promise<void>((resolve) => (resolveDone = resolve));
    await new Promise<void>((ready) => {
      const onMessage = (m: { ready?: number; done?: number }) => {
        if (m.ready === id) ready();
        if (m.done === id) {
          this.child.off('message', onMessage);
          resolveDone();
        }
      };
      this.child.on('message', onMessage);
      this.child.send({ expect: n, id });
    });
    return { done };
  }

  stop(): void {
    this.child.disconnect();
  }
}
