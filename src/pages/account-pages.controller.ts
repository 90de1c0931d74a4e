import {
  Body,
  Controller,
  Get,
  Param,
  Post,
  Query,
  Redirect,
  Render,
  Req,
  Res,
  UseFilters,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { SecurityEvents } from '../activity/security-events.js';
import { AuthService } from '../auth/auth.service.js';
import { RoutePolicy } from '../common/route-policy.js';
import { ChangePasswordDto } from '../profile/dto/change-password.dto.js';
import { UpdateProfileDto } from '../profile/dto/update-profile.dto.js';
import { ProfileService } from '../profile/profile.service.js';
import { EmailVerificationService } from '../recovery/email-verification.service.js';
import { CurrentSession, type SignedIn } from '../session/current-session.js';
import { eventOrigin, sessionHandleOf } from '../session/event-origin.js';
import { RequiresSudo } from '../session/sudo.js';
import { UserSessions } from '../session/user-sessions.js';
import { CsrfGuard } from './csrf.guard.js';
import { ReauthenticateFormDto } from './dto/reauthenticate-form.dto.js';
import { FormErrorsInterceptor, FormView } from './form-errors.js';
import { PageExceptionFilter } from './page-exception.filter.js';
import { PageUserGuard } from './page-user.guard.js';
import { ReauthenticationOptionsGuard } from './two-step-locals.guard.js';
import { activityRows, localPath, noticeText, sessionRows } from './view-models.js';

/**
 * The signed-in pages, protected by the global SessionGuard like every route that is not
 * @Public(). Its refusals go through PageExceptionFilter, which sends the browser to /login
 * instead of a 401 JSON body. Guards run global first: an ended session goes to /login before
 * its form token is looked at.
 */
@Controller()
@UseGuards(PageUserGuard, CsrfGuard)
@UseInterceptors(FormErrorsInterceptor)
@UseFilters(PageExceptionFilter)
export class AccountPagesController {
  constructor(
    private readonly auth: AuthService,
    private readonly profile: ProfileService,
    private readonly sessions: UserSessions,
    private readonly verification: EmailVerificationService,
    private readonly events: SecurityEvents,
  ) {}

  @Get('profile')
  @Render('profile')
  profilePage(@Res({ passthrough: true }) res: Response, @Query('notice') notice?: string) {
    // PageUserGuard loaded the user into res.locals.
    return { notice: noticeText(notice), values: { displayName: res.locals.user.displayName } };
  }

  @Post('profile')
  @FormView('profile')
  @Redirect('/profile?notice=profile-saved', 303)
  async rename(@CurrentSession() me: SignedIn, @Body() form: UpdateProfileDto): Promise<void> {
    await this.profile.rename(me.userId, form.displayName);
  }

  @Get('password')
  @Render('password')
  passwordPage() {
    return {};
  }

  @Post('password')
  @RoutePolicy({ hashes: true })
  @FormView('password')
  @Redirect('/profile?notice=password-changed', 303)
  async changePassword(@Req() req: Request, @Body() form: ChangePasswordDto): Promise<void> {
    await this.profile.changePassword(req, form.currentPassword, form.newPassword);
  }

  @Post('verify-email/resend')
  @RoutePolicy({ mails: true })
  @Redirect('/profile?notice=verification-sent', 303)
  async resendVerification(@CurrentSession() me: SignedIn, @Req() req: Request): Promise<void> {
    await this.verification.resend(me.userId, req.ip);
  }

  @Get('sessions')
  @Render('sessions')
  async sessionsPage(@CurrentSession() me: SignedIn, @Query('notice') notice?: string) {
    const rows = sessionRows(await this.sessions.list(me.userId, me.sessionId));
    return { notice: noticeText(notice), sessions: rows, hasOthers: rows.some((row) => !row.current) };
  }

  @Post('sessions/revoke-others')
  @RequiresSudo()
  @Redirect('/sessions?notice=others-revoked', 303)
  async revokeOthers(@Req() req: Request, @CurrentSession() me: SignedIn): Promise<void> {
    await this.sessions.signOutOthers(me.userId, me.sessionId, eventOrigin(req));
  }

  @Post('sessions/:id/revoke')
  @RequiresSudo()
  @Redirect('/sessions', 303)
  async revoke(@Req() req: Request, @CurrentSession() me: SignedIn, @Param('id') id: string): Promise<{ url: string }> {
    // Not one of the user's (or already gone): the list the user lands on shows the truth.
    const revoked = await this.sessions.revoke(me.userId, id, eventOrigin(req));
    return { url: revoked ? '/sessions?notice=session-revoked' : '/sessions' };
  }

  /** The security activity log (docs/activity.md), 50 a page; "Older" carries the next page's cursor. */
  @Get('activity')
  @Render('activity')
  async activityPage(@Req() req: Request, @CurrentSession() me: SignedIn, @Query('before') before?: unknown) {
    const { entries, next } = await this.events.page(me.userId, before, sessionHandleOf(req));
    return { events: activityRows(entries), older: next };
  }

  @Get('reauthenticate')
  @UseGuards(ReauthenticationOptionsGuard)
  @Render('reauthenticate')
  reauthenticatePage(@Query('next') next?: string) {
    return { values: { next: localPath(next) ?? '/profile' } };
  }

  /** The password form posts `password`, the authenticator's form (two-step sign-in on) `code`. */
  @Post('reauthenticate')
  @RoutePolicy({ hashes: true, codes: true })
  @UseGuards(ReauthenticationOptionsGuard)
  @FormView('reauthenticate')
  @Redirect('/profile', 303)
  async reauthenticate(@Req() req: Request, @Body() form: ReauthenticateFormDto): Promise<{ url: string }> {
    await this.auth.reauthenticate(req, form.code !== undefined ? { code: form.code } : { password: form.password! });
    return { url: localPath(form.next) ?? '/profile' };
  }

  @Post('logout')
  @Redirect('/login?notice=signed-out', 303)
  async logout(@Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<void> {
    await this.auth.logout(req, res);
  }
}
