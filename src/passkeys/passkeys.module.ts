import { Module } from '@nestjs/common';
import { ActivityModule } from '../activity/activity.module.js';
import { MailModule } from '../mail/mail.module.js';
import { SessionModule } from '../session/session.module.js';
import { UsersModule } from '../users/users.module.js';
import { PasskeyChallenges } from './challenge.js';
import { PasskeysController } from './passkeys.controller.js';
import { PasskeysService } from './passkeys.service.js';

/** Passkeys: registering and managing them. Sign-in and re-authentication ask them through PasskeysService (auth/). */
@Module({
  imports: [MailModule, SessionModule, UsersModule, ActivityModule],
  controllers: [PasskeysController],
  providers: [PasskeysService, PasskeyChallenges],
  exports: [PasskeysService],
})
export class PasskeysModule {}
