import { Module } from '@nestjs/common';
import { ActivityModule } from '../activity/activity.module.js';
import { MailModule } from '../mail/mail.module.js';
import { PasswordsModule } from '../passwords/passwords.module.js';
import { SessionModule } from '../session/session.module.js';
import { UsersModule } from '../users/users.module.js';
import { AccountTokensService } from './account-tokens.service.js';
import { EmailVerificationService } from './email-verification.service.js';
import { PasswordResetService } from './password-reset.service.js';
import { RecoveryMail } from './recovery-mail.js';
import { RecoveryController } from './recovery.controller.js';

/** Account recovery: password reset and email verification by mailed, single-use links. */
@Module({
  imports: [MailModule, PasswordsModule, SessionModule, UsersModule, ActivityModule],
  controllers: [RecoveryController],
  providers: [AccountTokensService, PasswordResetService, EmailVerificationService, RecoveryMail],
  exports: [PasswordResetService, EmailVerificationService],
})
export class RecoveryModule {}
