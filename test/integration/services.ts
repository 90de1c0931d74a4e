/**
 * Postgres and Redis for the in-process tier: the stack harness's own parts (the same binaries,
 * flags and throwaway temp dir), without nginx or a build. One pair serves the whole tier
 * (global-setup.ts starts it before the first spec file); each spec file gets a database of its
 * own, copied from one migrated template, and a Redis database of its own, so files run in
 * parallel without seeing each other's users, sessions or brute-force counters.
 */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { createClient } from 'redis';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source.js';
import { findBinaries, makeStackDir, PortPicker } from '../../tools/stack/machine.js';
import { startPostgres } from '../../tools/stack/postgres.js';
import { Processes, settleAll } from '../../tools/stack/proc.js';
import { startRedis } from '../../tools/stack/redis.js';

export interface Services {
  databaseUrl: string;
  redisUrl: string;
  stop(): Promise<void>;
}

/** Where global-setup.ts tells the spec files' workers about the shared pair. */
const SHARED_ENV = { postgres: 'TIER_POSTGRES_URL', redis: 'TIER_REDIS_URL' } as const;

/** The migrated database every spec file's own database is copied from. */
const TEMPLATE_DATABASE = 'gatehouse';

/** Starts the tier's Postgres (the schema migrated into the template database) and Redis. */
export async function startSharedServices(): Promise<Services> {
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
    await migrations.destroy(); // a template database must have no connections to be copied
    return { databaseUrl: postgres.url, redisUrl: redis.url, stop };
  } catch (error) {
    await settleAll([stop()]);
    throw error;
  }
}

/** For global-setup.ts: makes the shared pair known to the workers it is about to start. */
export function publishSharedServices(services: Services): void {
  process.env[SHARED_ENV.postgres] = services.databaseUrl;
  process.env[SHARED_ENV.redis] = services.redisUrl;
}

/** Files in one jest worker run one after another; each worker has its own Redis database. */
function redisDatabase(): number {
  return Number(process.env.JEST_WORKER_ID ?? 1) % 16;
}

/**
 * A spec file's own services on the shared pair: a fresh copy of the migrated database and its
 * worker's Redis database, emptied. Outside the tier's globalSetup (a spec run some other way),
 * a pair of its own.
 */
export async function startServices(): Promise<Services> {
  const [sharedPostgres, sharedRedis] = [process.env[SHARED_ENV.postgres], process.env[SHARED_ENV.redis]];
  if (!sharedPostgres || !sharedRedis) return startSharedServices();

  const database = `spec_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: sharedPostgres });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${database} TEMPLATE ${TEMPLATE_DATABASE}`);
  } finally {
    await admin.end();
  }
  const redisUrl = `${sharedRedis}/${redisDatabase()}`;
  const redis = createClient({ url: redisUrl });
  await redis.connect();
  await redis.flushDb();
  await redis.close();

  const databaseUrl = new URL(sharedPostgres);
  databaseUrl.pathname = `/${database}`;
  // Nothing to stop: the databases go with the tier's Postgres (global-setup.ts).
  return { databaseUrl: databaseUrl.href, redisUrl, stop: async () => undefined };
}
