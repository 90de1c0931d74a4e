/**
 * Child processes of the stack harness. Every part is a direct child of this process (no daemons,
 * no pid files to chase), so stopping is "signal the child, wait for its exit" and nothing can be
 * left running or listening.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import path from 'node:path';

const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;
const POLL_MS = 100;
const TAIL_LINES = 60;

export interface LaunchOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  user?: { uid: number; gid: number };
  logFile?: string;
  onLine?: (line: string) => void;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One child process: its output (a log file, a tail kept for error messages) and its exit. */
export class Proc {
  readonly exited: Promise<Exit>;
  running = true;
  stopRequested = false;
  private readonly child: ChildProcess;
  private readonly tail: string[] = [];
  private finished = false;
  private readonly log?: WriteStream;

  constructor(
    readonly name: string,
    command: string,
    args: string[],
    options: LaunchOptions,
  ) {
    this.log = options.logFile ? createWriteStream(options.logFile, { flags: 'a' }) : undefined;
    // detached: its own process group, so a Ctrl-C in the terminal reaches only the CLI, which
    // then stops the parts in order instead of every part dying at once.
    this.child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
      uid: options.user?.uid,
      gid: options.user?.gid,
    });
    for (const stream of [this.child.stdout, this.child.stderr]) {
      let partial = '';
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        const lines = (partial + chunk).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) this.addLine(line, options.onLine);
      });
      stream?.on('end', () => partial && this.addLine(partial, options.onLine));
    }
    this.exited = new Promise((resolve) => {
      // 'close', not 'exit': all output has been read by then. Node may report a failed spawn
      // (e.g. ENOENT) with 'error' alone, or 'error' then 'close': finish() runs once.
      this.child.on('close', (code, signal) => this.finish(resolve, { code, signal }));
      this.child.on('error', (error) => {
        this.addLine(`${this.name}: ${error.message}`);
        if (this.child.pid === undefined) this.finish(resolve, { code: null, signal: null });
      });
    });
  }

  get pid(): number | undefined {
    return this.running ? this.child.pid : undefined;
  }

  /** The last lines the process printed, for error messages. */
  output(): string {
    return this.tail.join('\n');
  }

  signal(signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal);
  }

  /** Sends `signal`, escalates to SIGKILL after STOP_TIMEOUT_MS, resolves once the process is gone. */
  async stop(signal: NodeJS.Signals): Promise<Exit> {
    this.stopRequested = true;
    this.signal(signal);
    const timer = setTimeout(() => this.signal('SIGKILL'), STOP_TIMEOUT_MS);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Synchronous SIGKILL of the whole process group, for the process 'exit' handler only. */
  killGroupNow(): void {
    if (!this.running || this.child.pid === undefined) return;
    try {
      process.kill(-this.child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }

  private addLine(line: string, onLine?: (line: string) => void): void {
    this.tail.push(line);
    if (this.tail.length > TAIL_LINES) this.tail.shift();
    if (!this.finished) this.log?.write(`${line}\n`);
    onLine?.(line);
  }

  private finish(resolve: (exit: Exit) => void, exit: Exit): void {
    if (this.finished) return;
    this.finished = true;
    this.running = false;
    this.log?.end();
    resolve(exit);
  }
}

/**
 * The set of a stack's processes: starts them with their log in `logDir`, reports a part that
 * exits without being asked to, and kills them all synchronously should this process exit first.
 */
export class Processes {
  /** Set once the stack is up: from then on an unexpected exit is reported to onExit. */
  started = false;
  stopping = false;
  private readonly procs = new Set<Proc>();

  constructor(
    private readonly logDir: string,
    private readonly onExit?: (part: string, code: number | null, signal: NodeJS.Signals | null) => void,
  ) {}

  /** Starts a long-running part. */
  launch(name: string, command: string, args: string[], extra: LaunchOptions = {}): Proc {
    const proc = new Proc(name, command, args, { logFile: path.join(this.logDir, `${name}.log`), ...extra });
    this.procs.add(proc);
    void proc.exited.then(({ code, signal }) => {
      this.procs.delete(proc);
      if (this.started && !proc.stopRequested && !this.stopping) this.onExit?.(name, code, signal);
    });
    return proc;
  }

  /** Runs a one-shot command (initdb, openssl, migrations) to completion; throws with its output unless it exits 0. */
  async run(name: string, command: string, args: string[], extra: LaunchOptions = {}): Promise<void> {
    const proc = this.launch(name, command, args, extra);
    proc.stopRequested = true; // its exit is the expected outcome, not news
    const { code, signal } = await proc.exited;
    if (code !== 0) throw failure(proc, `failed (${signal ?? `exit code ${code}`})`);
  }

  /** Anything still running (e.g. an initdb interrupted by a failed start). */
  async stopRest(): Promise<void> {
    await Promise.all([...this.procs].map((proc) => proc.stop('SIGTERM')));
  }

  killAllNow(): void {
    for (const proc of this.procs) proc.killGroupNow();
  }
}

export function failure(proc: Proc, what: string): Error {
  const output = proc.output();
  return new Error(`${proc.name} ${what}${output ? `; its last output:\n${output}` : ' (it printed nothing)'}`);
}

/** Polls `check` until it is true; fails early, with the part's output, if the part exits. */
export async function waitReady(proc: Proc, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (!proc.running) throw failure(proc, 'exited before it was ready');
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw failure(proc, `was not ready after ${READY_TIMEOUT_MS / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** Like Promise.all, but waits for every task to finish before throwing the first error, so
 * cleanup never races a part that is still starting. */
export async function settleAll(tasks: Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(tasks);
  const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) throw failed.reason;
}

/** Runs a probe command (pg_isready); true when it exits 0. */
export function succeeds(command: string, args: string[]): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: 'ignore' });
    child.on('error', () => resolve(false));
    child.on('close', (code) => resolve(code === 0));
  });
}
