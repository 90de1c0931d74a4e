import { Module } from '@nestjs/common';
import { ActivityModule } from '../activity/activity.module.js';
import { UsersModule } from '../users/users.module.js';
import { SessionSerializer } from './passport-login.js';
import { SessionAuthenticator } from './session-auth.js';
import { SessionLifecycle } from './session-lifecycle.js';
import { SessionStore } from './session-store.js';
import { SessionController } from './session.controller.js';
import { UserSessions } from './user-sessions.js';

@Module({
  imports: [UsersModule, ActivityModule],
  controllers: [SessionController],
  providers: [SessionStore, SessionAuthenticator, SessionLifecycle, UserSessions, SessionSerializer],
  exports: [SessionAuthenticator, SessionLifecycle, UserSessions],
})
export class SessionModule {}
