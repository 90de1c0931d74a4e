/** The stack's app instances: the built app (dist/), one process per port, loopback only. */
import { type Proc, type Processes, waitReady } from './proc.js';
import { httpStatus } from './nginx.js';

/** In-memory app log cap, so a long `npm run stack` session does not grow without bound. */
const APP_LOG_MAX_CHARS = 16 * 1024 * 1024;

export class AppInstances {
  readonly urls: string[];
  private readonly procs: (Proc | undefined)[] = [];
  private readonly lines: string[] = [];
  private chars = 0;

  constructor(
    private readonly processes: Processes,
    private readonly root: string,
    private readonly ports: number[],
    private readonly env: Record<string, string>,
    private readonly onLine?: (line: string, instance: number) => void,
    /** Extra node flags before the script, e.g. `--cpu-prof` (npm run bench's profile). */
    private readonly nodeArgs: string[] = [],
  ) {
    this.urls = ports.map((port) => `http://127.0.0.1:${port}`);
  }

  /** Start instance i on its port and wait until it answers /healthz. */
  async start(i: number): Promise<void> {
    if (i < 0 || i >= this.ports.length) throw new Error(`no app instance ${i}`);
    if (this.procs[i]?.running) throw new Error(`app instance ${i} is already running`);
    const proc = this.processes.launch(`app-${i}`, process.execPath, ['--enable-source-maps', ...this.nodeArgs, 'dist/src/main.js'], {
      cwd: this.root,
      env: { ...process.env, ...this.env, PORT: String(this.ports[i]) },
      onLine: (line) => {
        this.lines.push(line);
        this.chars += line.length + 1;
        if (this.chars > APP_LOG_MAX_CHARS) this.dropOldest();
        this.onLine?.(line, i);
      },
    });
    this.procs[i] = proc;
    await waitReady(proc, async () => (await httpStatus(`${this.urls[i]}/healthz`)) === 200);
  }

  /** Signal instance i (default SIGTERM) and wait for it; resolves with its exit code (null if killed by a signal). */
  async stop(i: number, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    const proc = this.procs[i];
    if (!proc) throw new Error(`no app instance ${i}`);
    return (await proc.stop(signal)).code;
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.procs.map((proc) => proc?.stop('SIGTERM')));
  }

  pid(i: number): number | undefined {
    return this.procs[i]?.pid;
  }

  /**
   * Down to three quarters of the cap in one splice: shifting one line per new line moves the
   * whole array each time, which under load (npm run bench: thousands of lines a second) made
   * this process compete with the load generator for its core.
   */
  private dropOldest(): void {
    let n = 0;
    while (this.chars > APP_LOG_MAX_CHARS * 0.75) this.chars -= this.lines[n++].length + 1;
    this.lines.splice(0, n);
  }

  logs(): string {
    return this.lines.map((line) => `${line}\n`).join('');
  }
}
