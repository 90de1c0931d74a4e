import { DataSource, type DataSourceOptions } from 'typeorm';
import { CreateUsers1763900000000 } from '../../migrations/1763900000000-CreateUsers.js';
import { User } from '../users/user.entity.js';

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
    migrations: [CreateUsers1763900000000],
    synchronize: false,
    migrationsRun: false,
    // Fail a query fast when Postgres is unreachable instead of queueing on a dead pool.
    connectTimeoutMS: 2_000,
    extra: { connectionTimeoutMillis: 2_000, max: 10 },
  };
}

/** Entry point for the TypeORM CLI: `typeorm migration:run -d dist/src/database/data-source.js`. */
export default new DataSource(dataSourceOptions(process.env.DATABASE_URL ?? ''));
