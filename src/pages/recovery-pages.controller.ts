import {
  Body,
  Controller,
  Get,
  Header,
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
import { RoutePolicy } from '../common/route-policy.js';
import { PasswordResetConfirmDto } from '../recovery/dto/password-reset-confirm.dto.js';
import { PasswordResetRequestDto } from '../recovery/dto/password-reset-request.dto.js';
import { VerifyEmailDto } from '../recovery/dto/verify-email.dto.js';
import { EmailVerificationService } from '../recovery/email-verification.service.js';
import { PasswordResetService } from '../recovery/password-reset.service.js';
import { SessionStatus } from '../session/current-session.js';
import { eventOrigin } from '../session/event-origin.js';
import type { SessionState } from '../session/session.types.js';
import { CsrfGuard } from './csrf.guard.js';
import { FormErrorsInterceptor, FormView } from './form-errors.js';
import { PageExceptionFilter } from './page-exception.filter.js';
import { maskEmail, noticeText } from './view-models.js';

/**
 * The link pages' URL holds a token: requests made from them (the stylesheet, the form's POST and
 * the redirect after it) send only the origin as Referer, so the token reaches no log. Not
 * `no-referrer`: under it browsers send `Origin: null` with the form, which SameOriginGuard refuses.
 */
const TOKEN_PAGE_REFERRER_POLICY = 'origin';

/**
 * The pages behind the mailed links, and the form that asks for one. A GET only shows a form (mail
 * scanners and link previews open links): only the form's POST spends a token.
 */
@Public()
@Controller()
@UseGuards(CsrfGuard)
@UseInterceptors(FormErrorsInterceptor)
@UseFilters(PageExceptionFilter)
export class RecoveryPagesController {
  constructor(
    private readonly auth: AuthService,
    private readonly reset: PasswordResetService,
    private readonly verification: EmailVerificationService,
  ) {}

  @Get('forgot-password')
  @Render('forgot-password')
  forgotPasswordPage(@Query('notice') notice?: string) {
    return { notice: noticeText(notice) };
  }

  @Post('forgot-password')
  @RoutePolicy({ mails: true })
  @FormView('forgot-password')
  @Redirect('/forgot-password?notice=reset-requested', 303)
  async requestReset(@Req() req: Request, @Body() form: PasswordResetRequestDto): Promise<void> {
    await this.reset.request(form.email, req.ip);
  }

  @Get('reset-password')
  @Header('Referrer-Policy', TOKEN_PAGE_REFERRER_POLICY)
  @Render('reset-password')
  async resetPasswordPage(@Query('token') token?: string) {
    const value = typeof token === 'string' ? token : '';
    // Named, so that a link to someone else's account (an attacker's own, sent to a victim) shows.
    const email = value ? await this.reset.accountOf(value) : undefined;
    return { values: { token: value }, account: email && maskEmail(email) };
  }

  /**
   * Every session of the user ends, and this browser is sent to sign in, signed in nowhere: were it
   * signed in here, a link for an attacker's own account would sign its victim into that account.
   */
  @Post('reset-password')
  @RoutePolicy({ hashes: true, token: true })
  @FormView('reset-password')
  @Redirect('/login?notice=password-reset', 303)
  async confirmReset(
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
    @SessionStatus() status: SessionState,
    @Body() form: PasswordResetConfirmDto,
  ): Promise<void> {
    await this.reset.confirm(form.token, form.newPassword, eventOrigin(req));
    if (status.kind === 'signed-in') await this.auth.logout(req, res);
  }

  @Get('verify-email')
  @Header('Referrer-Policy', TOKEN_PAGE_REFERRER_POLICY)
  @Render('verify-email')
  verifyEmailPage(@Query('token') token?: string) {
    return { values: { token: typeof token === 'string' ? token : '' } };
  }

  @Post('verify-email')
  @RoutePolicy({ token: true })
  @FormView('verify-email')
  @Redirect('/login?notice=email-verified', 303)
  async verify(@SessionStatus() status: SessionState, @Req() req: Request, @Body() form: VerifyEmailDto): Promise<{ url: string } | void> {
    await this.verification.verify(form.token, eventOrigin(req));
    if (status.kind === 'signed-in') return { url: '/profile?notice=email-verified' };
  }
}
