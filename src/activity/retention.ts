import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { RETENTION_MS } from './security-events.js';

/** How often each app instance removes the events that turned RETENTION_MS old. */
export const PRUNE_INTERVAL_MS = 60 * 60_000;
/** Rows one DELETE removes, so that each statement stays well inside the app's statement timeout (data-source.ts). */
const PRUNE_BATCH = 5_000;

/**
 * Keeps the activity log to RETENTION_MS (90 days, SPEC section 4): an hourly DELETE in every app
 * instance, of the rows older than that as of `now`. No pg-boss schedule: the DELETE is
 * idempotent and finds the old rows by an index, so instances running it at once, or one missing
 * a turn, change nothing, and a cron job would need the scheduler and a worker for one statement.
 */
@Injectable()
export class ActivityRetention implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ActivityRetention');
  private timer: NodeJS.Timeout | undefined;

  constructor(@InjectDataSource() private readonly db: DataSource) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.pruneSecurityEvents().catch((error: unknown) =>
        this.logger.warn(`Old security events not removed: ${error instanceof Error ? error.message : String(error)}`),
      );
    }, PRUNE_INTERVAL_MS).unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Removes the events older than RETENTION_MS before `now`, a batch at a time; returns how many. */
  async pruneSecurityEvents(now = new Date()): Promise<number> {
    const cutoff = new Date(now.getTime() - RETENTION_MS);
    let removed = 0;
    for (;;) {
      const [, count] = (await this.db.query(
        `DELETE FROM security_events WHERE id IN (SELECT id FROM security_events WHERE at < $1 LIMIT ${PRUNE_BATCH})`,
        [cutoff],
      )) as [unknown[], number];
      removed += count;
      if (count < PRUNE_BATCH) return removed;
    }
  }
}
