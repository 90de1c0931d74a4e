/** The stack's Postgres: a throwaway cluster in the stack's temp dir, with the `gatehouse` database. */
import { chown, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { systemUser } from './machine.js';
import { type Proc, type Processes, succeeds, waitReady } from './proc.js';

export interface Postgres {
  url: string;
  /** Fast shutdown, and start again on the same port and data dir. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** SIGINT is Postgres's "fast" shutdown (pg_ctl stop -m fast): abort sessions, exit cleanly. */
  shutDown(): Promise<void>;
}

export async function startPostgres(procs: Processes, dir: string, pgBin: string, port: number): Promise<Postgres> {
  // initdb and postgres refuse to run as root; as root we run them as the `postgres` system
  // user (spawn's uid/gid, so the child *is* postgres and our signals reach it directly).
  const owner = process.getuid?.() === 0 ? systemUser('postgres') : undefined;
  const pgDir = path.join(dir, 'postgres');
  const data = path.join(pgDir, 'data');
  const clientArgs = ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres'];
  let proc: Proc | undefined;

  const start = async (): Promise<void> => {
    if (proc?.running) throw new Error('postgres is already running');
    // Command-line flags next to their values, as hand-formatted:
    // prettier-ignore
    proc = procs.launch('postgres', path.join(pgBin, 'postgres'), [
      '-D', data,
      '-p', String(port),
      '-c', 'listen_addresses=127.0.0.1',
      '-c', `unix_socket_directories=${pgDir}`,
      // Throwaway data: durability buys nothing here and costs seconds per test run.
      '-c', 'fsync=off',
      '-c', 'synchronous_commit=off',
      '-c', 'full_page_writes=off',
    ], { user: owner });
    await waitReady(proc, () => succeeds(path.join(pgBin, 'pg_isready'), ['-q', ...clientArgs]));
  };

  await mkdir(pgDir, { mode: 0o700 });
  if (owner) await chown(pgDir, owner.uid, owner.gid);
  // trust auth: only this machine's 127.0.0.1 can connect, and the data dies with the stack.
  // Command-line flags next to their values, as hand-formatted:
  // prettier-ignore
  await procs.run('initdb', path.join(pgBin, 'initdb'), [
    '-D', data, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync',
  ], { user: owner });
  await start();
  await procs.run('createdb', path.join(pgBin, 'createdb'), [...clientArgs, 'gatehouse']);

  const stop = async (): Promise<void> => {
    await proc?.stop('SIGINT');
  };
  return { url: `postgres://postgres@127.0.0.1:${port}/gatehouse`, start, stop, shutDown: stop };
}
