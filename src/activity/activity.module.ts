import { Module } from '@nestjs/common';
import { MailModule } from '../mail/mail.module.js';
import { ActivityRetention } from './retention.js';
import { SecurityEvents } from './security-events.js';

/** The security activity log (docs/activity.md): what every feature records its events with. */
@Module({
  imports: [MailModule],
  providers: [SecurityEvents],
  exports: [SecurityEvents],
})
export class ActivityModule {}

/**
 * Its retention job, apart so that only the app runs it: a command that records an event
 * (two-step-off.ts) imports ActivityModule without starting a timer.
 */
@Module({
  providers: [ActivityRetention],
})
export class ActivityRetentionModule {}
