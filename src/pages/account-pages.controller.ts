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
import { AuthService } from '../auth/auth.service.js';
import { Public } from '../common/public.decorator.js';
import { ChangePasswordDto } from '../profile/dto/change-password.dto.js';
import { UpdateProfileDto } from '../profile/dto/update-profile.dto.js';
import { ProfileService } from '../profile/profile.service.js';
import { EmailVerificationService } from '../recovery/email-verification.service.js';
import { SessionService } from '../session/session.service.js';
import { CsrfGuard } from './csrf.guard.js';
import { FormErrorsInterceptor, FormView } from './form-errors.js';
import { PageExceptionFilter } from './page-exception.filter.js';
import { SignedInGuard } from './signed-in.guard.js';
import { noticeText, sessionRows } from './view-models.js';

/**
 * The signed-in pages. @Public to the global SessionGuard because SignedInGuard takes its place:
 * a browser without a live session is redirected to /login rather than given a 401 JSON body.
 * The guard order matters: an ended session goes to /login before its form token is looked at.
 */
@Public()
@Controller()
@UseGuards(SignedInGuard, CsrfGuard)
@UseInterceptors(FormErrorsInterceptor)
@UseFilters(PageExceptionFilter)
export class AccountPagesController {
  constructor(
    private readonly auth: AuthService,
    private readonly profile: ProfileService,
    private readonly sessions: SessionService,
    private readonly verification: EmailVerificationService,
  ) {}

  @Get('profile')
  @Render('profile')
  profilePage(@Res({ passthrough: true }) res: Response, @Query('notice') notice?: string) {
    // SignedInGuard loaded the user into res.locals.
    return { notice: noticeText(notice), values: { displayName: res.locals.user.displayName } };
  }

  @Post('profile')
  @FormView('profile')
  @Redirect('/profile?notice=profile-saved', 303)
  async rename(@Req() req: Request, @Body() form: UpdateProfileDto): Promise<void> {
    await this.profile.rename(req.user!.id, form.displayName);
  }

  @Get('password')
  @Render('password')
  passwordPage() {
    return {};
  }

  @Post('password')
  @FormView('password')
  @Redirect('/profile?notice=password-changed', 303)
  async changePassword(@Req() req: Request, @Body() form: ChangePasswordDto): Promise<void> {
    await this.profile.changePassword(req, form.currentPassword, form.newPassword);
  }

  @Post('verify-email/resend')
  @Redirect('/profile?notice=verification-sent', 303)
  async resendVerification(@Req() req: Request): Promise<void> {
    await this.verification.resend(req.user!.id, req.ip);
  }

  @Get('sessions')
  @Render('sessions')
  async sessionsPage(@Req() req: Request, @Query('notice') notice?: string) {
    const rows = sessionRows(await this.sessions.list(req.user!.id, req.sessionID));
    return { notice: noticeText(notice), sessions: rows, hasOthers: rows.some((row) => !row.current) };
  }

  @Post('sessions/revoke-others')
  @Redirect('/sessions?notice=others-revoked', 303)
  async revokeOthers(@Req() req: Request): Promise<void> {
    await this.sessions.revokeOthers(req.user!.id, req.sessionID);
  }

  @Post('sessions/:id/revoke')
  @Redirect('/sessions', 303)
  async revoke(@Req() req: Request, @Param('id') id: string): Promise<{ url: string }> {
    // Not one of the user's (or already gone): the list the user lands on shows the truth.
    const revoked = await this.sessions.revoke(req.user!.id, id);
    return { url: revoked ? '/sessions?notice=session-revoked' : '/sessions' };
  }

  @Post('logout')
  @Redirect('/login?notice=signed-out', 303)
  async logout(@Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<void> {
    await this.auth.logout(req, res);
  }
}
