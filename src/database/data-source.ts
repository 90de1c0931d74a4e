import { DataSource, type DataSourceOptions } from 'typeorm';
import { resolveSecretFiles } from '../config/secret-files.js';
import { CreateUsers1763900000000 } from '../../migrations/1763900000000-CreateUsers.js';
import { AccountRecovery1764600000000 } from '../../migrations/1764600000000-AccountRecovery.js';
import { PgBossV10Aside1796500000000 } from '../../migrations/1796500000000-PgBossV10Aside.js';
import { TwoStepSignIn1797000000000 } from '../../migrations/1797000000000-TwoStepSignIn.js';
import { Passkeys1797100000000 } from '../../migrations/1797100000000-Passkeys.js';
import { SecurityEvents1797200000000 } from '../../migrations/1797200000000-SecurityEvents.js';
import { User } from '../users/user.entity.js';

/** pg pool options (TypeORM's `extra`). */
const POOL_OPTIONS = { connectionTimeoutMillis: 1_000, max: 10 };

/**
 * The one set of TypeORM options, used by the app (TypeOrmModule) and by the migration CLI
 * (`npm run migration:run`). The schema changes only through migrations: never `synchronize`.
 * Migrations are listed, not globbed, so the same list works from TypeScript (tests) and from
 * the compiled `dist/` (CLI, Docker image).
 */
export function dataSourceOptions(url: string): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: [User],
    migrations: [
      CreateUsers1763900000000,
      AccountRecovery1764600000000,
      PgBossV10Aside1796500000000,
      TwoStepSignIn1797000000000,
      Passkeys1797100000000,
      SecurityEvents1797200000000,
    ],
    synchronize: false,
    migrationsRun: false,
    // Fail fast when Postgres is unreachable instead of queueing on a dead pool: a request that
    // needs the database answers 503 within 2 s (common/unavailable-dependency.ts).
    connectTimeoutMS: 1_000,
    extra: POOL_OPTIONS,
  };
}

/**
 * The app's options: the shared ones plus deadlines for queries made while serving a request, so
 * that a Postgres that accepts connections but no longer answers (frozen, half-open connection)
 * costs a request a 503 rather than a hang. Not for the migration CLI: a migration may rightly
 * run longer than any request should.
 */
export function appDataSourceOptions(url: string): DataSourceOptions {
  return {
    ...dataSourceOptions(url),
    extra: {
      ...POOL_OPTIONS,
      // Postgres itself cancels a statement that runs longer (SQLSTATE 57014), which frees the
      // connection for the next query...
      statement_timeout: 1_000,
      // ...and the driver stops waiting for an answer that never comes at all.
      query_timeout: 1_500,
    },
  };
}

/**
 * Entry point for the TypeORM CLI: `typeorm migration:run -d dist/src/database/data-source.js`.
 * DATABASE_URL may come from DATABASE_URL_FILE, as for the app.
 */
export default new DataSource(dataSourceOptions(resolveSecretFiles(process.env).env.DATABASE_URL ?? ''));
