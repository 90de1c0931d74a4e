import { Controller, Get, Inject, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheckService, HealthIndicatorService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { Public } from '../common/public.decorator.js';
import { Mailer } from '../mail/mailer.js';
import type { RedisClient } from '../redis/redis-client.js';
import { REDIS_CLIENT } from '../redis/redis.module.js';

const CHECK_TIMEOUT_MS = 1_500;

@Public()
@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    @Inject(REDIS_CLIENT) private readonly redis: RedisClient,
    private readonly mailer: Mailer,
  ) {}

  /** Liveness: the process answers. Never touches a dependency, so an outage never restarts us. */
  @Get('healthz')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /**
   * Readiness: Postgres and Redis both answer; a 503 names the ones that do not. The mail server is
   * reported (`mail: up|down`) but never makes the app unready: mail is queued and retried, so
   * sign-in and everything else work without it (docs/operations.md, Outages).
   */
  @Get('readyz')
  async ready(): Promise<{ status: 'ok'; mail: 'up' | 'down'; details: Record<string, unknown> }> {
    const mailUp = this.mailer.check();
    try {
      const result = await this.health.check([
        () => this.db.pingCheck('postgres').withTimeout(CHECK_TIMEOUT_MS),
        () =>
          this.indicators
            .check('redis')
            .attempt(async () => {
              await this.redis.ping();
            })
            .withTimeout(CHECK_TIMEOUT_MS),
      ]);
      const mail = (await mailUp) ? 'up' : 'down';
      return { status: 'ok', mail, details: { ...result.details, mail: { status: mail } } };
    } catch (error) {
      const failed = Object.keys((error as { response?: { error?: object } }).response?.error ?? {});
      throw new ServiceUnavailableException(`Not ready: ${failed.join(', ') || 'unknown'} unavailable`);
    }
  }
}
