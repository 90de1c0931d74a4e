import { Module } from '@nestjs/common';
import { ActivityModule } from '../activity/activity.module.js';
import { MailModule } from '../mail/mail.module.js';
import { PasskeysModule } from '../passkeys/passkeys.module.js';
import { SessionModule } from '../session/session.module.js';
import { UsersModule } from '../users/users.module.js';
import { TwoStepController } from './two-step.controller.js';
import { TwoStepService } from './two-step.service.js';

/** Second factors: TOTP and recovery codes. Sign-in asks them through TwoStepService (auth/). */
@Module({
  imports: [MailModule, PasskeysModule, SessionModule, UsersModule, ActivityModule],
  controllers: [TwoStepController],
  providers: [TwoStepService],
  exports: [TwoStepService],
})
export class TwoStepModule {}
