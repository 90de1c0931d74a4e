import { Module } from '@nestjs/common';
import { ActivityModule } from '../activity/activity.module.js';
import { AuthModule } from '../auth/auth.module.js';
import { MailModule } from '../mail/mail.module.js';
import { PasswordsModule } from '../passwords/passwords.module.js';
import { SessionModule } from '../session/session.module.js';
import { UsersModule } from '../users/users.module.js';
import { ActivityController } from './activity.controller.js';
import { ProfileController } from './profile.controller.js';
import { ProfileService } from './profile.service.js';

@Module({
  imports: [UsersModule, AuthModule, MailModule, PasswordsModule, SessionModule, ActivityModule],
  controllers: [ProfileController, ActivityController],
  providers: [ProfileService],
  exports: [ProfileService],
})
export class ProfileModule {}
