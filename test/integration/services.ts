/**
 * Postgres and Redis for the in-process tier: the stack harness's own parts (the same binaries,
 * flags and throwaway temp dir), without nginx or a build. The schema comes from the migrations,
 * run in-process from the TypeScript sources.
 */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source.js';
import { findBinaries, makeStackDir, PortPicker } from '../stack/machine.js';
import { startPostgres } from '../stack/postgres.js';
import { Processes, settleAll } from '../stack/proc.js';
import { startRedis } from '../stack/redis.js';

export interface Services {
  databaseUrl: string;
  redisUrl: string;
  stop(): Promise<void>;
}

export async function startServices(): Promise<Services> {
  const bin = findBinaries(['pgBin', 'redis']);
  const ports = new PortPicker();
  const [pgPort, redisPort] = [await ports.pick(undefined, 'postgres'), await ports.pick(undefined, 'redis')];
  const dir = await makeStackDir();
  const logDir = path.join(dir, 'logs');
  await mkdir(logDir, { mode: 0o700 });
  const procs = new Processes(logDir);
  const onExit = () => procs.killAllNow();
  process.on('exit', onExit);
  const started: { stop(): Promise<void> }[] = [];
  const stop = async () => {
    await Promise.all(started.map((part) => part.stop()));
    await procs.stopRest();
    process.off('exit', onExit);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const [postgres, redis] = await Promise.all([
      startPostgres(procs, dir, bin.pgBin, pgPort).then((part) => (started.push({ stop: part.shutDown }), part)),
      startRedis(procs, dir, bin.redis, redisPort).then((part) => (started.push({ stop: part.shutDown }), part)),
    ]);
    const migrations = new DataSource(dataSourceOptions(postgres.url));
    await migrations.initialize();
    await migrations.runMigrations();
    await migrations.destroy();
    return { databaseUrl: postgres.url, redisUrl: redis.url, stop };
  } catch (error) {
    await settleAll([stop()]);
    throw error;
  }
}
