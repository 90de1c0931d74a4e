import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { ActivityModule } from '../activity/activity.module.js';
import { MailModule } from '../mail/mail.module.js';
import { PasskeysModule } from '../passkeys/passkeys.module.js';
import { PasswordsModule } from '../passwords/passwords.module.js';
import { SessionModule } from '../session/session.module.js';
import { TwoStepModule } from '../two-step/two-step.module.js';
import { UsersModule } from '../users/users.module.js';
import { AuthController } from './auth.controller.js';
import { AuthService } from './auth.service.js';
import { CredentialThrottle } from './credential-throttle.js';
import { RegistrationBudget } from './registration-budget.js';

@Module({
  // DiscoveryModule: the sign-in shedding finds the hashing routes among the app's controllers.
  imports: [
    DiscoveryModule,
    PassportModule,
    UsersModule,
    SessionModule,
    MailModule,
    PasswordsModule,
    TwoStepModule,
    PasskeysModule,
    ActivityModule,
  ],
  controllers: [AuthController],
  providers: [AuthService, CredentialThrottle, RegistrationBudget],
  exports: [AuthService, CredentialThrottle],
})
export class AuthModule {}
