import { type DynamicModule, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ActivityRetentionModule } from './activity/activity.module.js';
import { AuthModule } from './auth/auth.module.js';
import { GracefulShutdown } from './common/graceful-shutdown.js';
import { HttpExceptionFilter } from './common/http-exception.filter.js';
import { SameOriginGuard } from './common/same-origin.guard.js';
import { createValidationPipe } from './common/validation.js';
import type { AppConfig } from './config/config.schema.js';
import { appDataSourceOptions } from './database/data-source.js';
import { HealthModule } from './health/health.module.js';
import { PagesModule } from './pages/pages.module.js';
import { PasskeysModule } from './passkeys/passkeys.module.js';
import { ProfileModule } from './profile/profile.module.js';
import { RecoveryModule } from './recovery/recovery.module.js';
import { RedisModule } from './redis/redis.module.js';
import { SessionGuard } from './session/session.guard.js';
import { SessionModule } from './session/session.module.js';
import { TwoStepModule } from './two-step/two-step.module.js';
import { UsersModule } from './users/users.module.js';

/** The app's own modules: every controller of the app is in one of them or in a module they import. */
export const FEATURE_MODULES = [
  RedisModule,
  UsersModule,
  SessionModule,
  AuthModule,
  ProfileModule,
  RecoveryModule,
  TwoStepModule,
  PasskeysModule,
  ActivityRetentionModule,
  HealthModule,
  PagesModule,
];

/**
 * The configuration, validated once before Nest starts (main.ts) and handed in, and Postgres: what
 * the app and the operator's command (two-step-off.ts) both start from.
 */
export function coreModules(config: AppConfig): (DynamicModule | Promise<DynamicModule>)[] {
  return [
    ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, skipProcessEnv: true, load: [() => config] }),
    TypeOrmModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (c: ConfigService<AppConfig, true>) => appDataSourceOptions(c.get('databaseUrl', { infer: true })),
    }),
  ];
}

@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [...coreModules(config), ...FEATURE_MODULES],
      providers: [
        { provide: APP_FILTER, useClass: HttpExceptionFilter },
        { provide: APP_PIPE, useFactory: createValidationPipe },
        // Order matters: a cross-site request is refused (403) before its session is looked at.
        { provide: APP_GUARD, useClass: SameOriginGuard },
        { provide: APP_GUARD, useClass: SessionGuard },
        GracefulShutdown,
      ],
    };
  }
}
