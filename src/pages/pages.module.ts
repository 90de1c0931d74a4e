import { Module } from '@nestjs/common';
import { ActivityModule } from '../activity/activity.module.js';
import { AuthModule } from '../auth/auth.module.js';
import { PasskeysModule } from '../passkeys/passkeys.module.js';
import { ProfileModule } from '../profile/profile.module.js';
import { RecoveryModule } from '../recovery/recovery.module.js';
import { SessionModule } from '../session/session.module.js';
import { TwoStepModule } from '../two-step/two-step.module.js';
import { AccountPagesController } from './account-pages.controller.js';
import { AuthPagesController } from './auth-pages.controller.js';
import { RecoveryPagesController } from './recovery-pages.controller.js';
import { SecurityPagesController } from './security-pages.controller.js';

/**
 * The server-rendered pages (views in src/views, set up by views.ts). They reuse the API's
 * services and DTOs; what is theirs is HTML in, HTML out: the form token, redirects to /login,
 * and forms shown again with their errors.
 */
@Module({
  imports: [AuthModule, PasskeysModule, ProfileModule, SessionModule, RecoveryModule, TwoStepModule, ActivityModule],
  controllers: [AuthPagesController, AccountPagesController, RecoveryPagesController, SecurityPagesController],
})
export class PagesModule {}
