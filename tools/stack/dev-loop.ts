/**
 * `npm run dev` (README, The two commands): the stack of `npm run stack` with the app rebuilt and
 * restarted on each saved change. `tsc --watch` compiles src/ (and the rest of
 * tsconfig.build.json) into dist/; after each compile without errors the app instances are
 * restarted, while Postgres, Redis and the inbox keep running, so users, sessions and
 * mails survive. A change under src/views (templates, the stylesheet: read at start, not
 * compiled) restarts the app without a compile.
 *
 * `--noEmitOnError`: a compile with errors writes nothing, so dist/ always holds the last good
 * build; the running app keeps serving it, and the loop says it waits for a fix.
 */
import { type FSWatcher, watch } from 'node:fs';
import path from 'node:path';
import { Proc } from './proc.js';
import type { Stack } from './stack.js';

/** Editors save in bursts (a temp file, a rename, a chmod): one restart for the lot. */
const VIEWS_SETTLE_MS = 200;

export interface DevLoopOutput {
  /** Progress: compiled, restarting, restarted. */
  status(line: string): void;
  /** tsc's own lines (its errors included), and what the loop could not do. */
  problem(line: string): void;
}

export class DevLoop {
  /** Resolves after tsc's first compile, which rewrites dist/: nothing may load dist/ before. */
  readonly firstCompile: Promise<void>;
  private readonly tsc: Proc;
  private resolveFirst!: () => void;
  private compiles = 0;
  private stack?: Stack;
  private views?: FSWatcher;
  private viewsTimer?: NodeJS.Timeout;
  private restarting = false;
  private restartAgain = false;
  private stopped = false;

  constructor(
    private readonly root: string,
    private readonly out: DevLoopOutput,
  ) {
    this.firstCompile = new Promise((resolve) => (this.resolveFirst = resolve));
    const tscArgs = ['-p', 'tsconfig.build.json', '--watch', '--preserveWatchOutput', '--pretty', 'false', '--noEmitOnError'];
    this.tsc = new Proc('tsc', process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), ...tscArgs], {
      cwd: root,
      onLine: (line) => this.onTscLine(line),
    });
    void this.tsc.exited.then(({ code, signal }) => {
      if (this.stopped) return;
      this.out.problem(`dev: tsc --watch exited (${signal ?? `exit code ${code}`}); changes are no longer picked up`);
      this.resolveFirst();
    });
  }

  /** From now on, restart the stack's app instances after each good compile or views change. */
  attach(stack: Stack): void {
    this.stack = stack;
    this.views = watch(path.join(this.root, 'src/views'), { recursive: true }, () => {
      clearTimeout(this.viewsTimer);
      this.viewsTimer = setTimeout(() => void this.restart('src/views changed'), VIEWS_SETTLE_MS);
    });
  }

  /** An app instance exited on its own (it crashed): say so, and wait for a change to start it. */
  appExited(part: string, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.restarting || this.stopped) return; // restart() reports a start that failed
    this.out.problem(`dev: ${part} exited (${signal ?? `exit code ${code}`}); waiting for a change to start it again`);
  }

  /** Stops tsc and the watching; the caller then stops the stack (and with it any app starting). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.viewsTimer);
    this.views?.close();
    await this.tsc.stop('SIGTERM');
  }

  /** For the process 'exit' handler only, like the stack's own. */
  killNow(): void {
    this.tsc.killGroupNow();
  }

  private onTscLine(line: string): void {
    if (line.trim() === '') return;
    this.out.problem(`tsc: ${line}`);
    const found = /Found (\d+) errors?\. Watching for file changes\./.exec(line);
    if (!found) return;
    const errors = Number(found[1]);
    if (++this.compiles === 1) {
      // dist/ was built just before (npm run dev), so the app starts from that build either way.
      if (errors > 0) this.out.problem('dev: the first compile has errors: the app starts from the last good build');
      this.resolveFirst();
    } else if (errors > 0) {
      this.out.problem('dev: compile errors (above): the app keeps running the last good build; waiting for a fix');
    } else {
      void this.restart('compiled');
    }
  }

  /** Restarts every instance at once (a dev loop wants speed, not a rolling restart); one restart at a time. */
  private async restart(reason: string): Promise<void> {
    const stack = this.stack;
    if (!stack || this.stopped) return;
    if (this.restarting) {
      this.restartAgain = true;
      return;
    }
    this.restarting = true;
    try {
      do {
        this.restartAgain = false;
        const started = Date.now();
        this.out.status(`dev: ${reason}; restarting the app`);
        const results = await Promise.all(stack.appUrls.map((_, i) => this.restartInstance(stack, i)));
        const ok = results.every(Boolean);
        if (this.stopped) return;
        if (ok) this.out.status(`dev: app restarted in ${((Date.now() - started) / 1000).toFixed(1)} s: ${stack.baseUrl}`);
        else this.out.problem('dev: waiting for a change to start the app again');
        reason = 'changed again';
      } while (this.restartAgain);
    } finally {
      this.restarting = false;
    }
  }

  /** False, said why, if the instance did not start; true also when the loop stopped meanwhile. */
  private async restartInstance(stack: Stack, i: number): Promise<boolean> {
    await stack.stopApp(i);
    if (this.stopped) return true; // stack.stop() now owns the processes: start nothing
    try {
      await stack.startApp(i);
      return true;
    } catch (error) {
      if (!this.stopped) this.out.problem(`dev: app instance ${i} did not start: ${(error as Error).message}`);
      return this.stopped;
    }
  }
}
