import {
  BadRequestException,
  Body,
  Controller,
  Get,
  Post,
  Query,
  Redirect,
  Render,
  Req,
  Res,
  UnauthorizedException,
  UseFilters,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { AuthService, WrongSecondFactorException, NO_SIGN_IN_IN_PROGRESS } from '../auth/auth.service.js';
import { RegisterDto } from '../auth/dto/register.dto.js';
import { Public } from '../common/public.decorator.js';
import { RoutePolicy } from '../common/route-policy.js';
import { SessionStatus } from '../session/current-session.js';
import { SessionLifecycle } from '../session/session-lifecycle.js';
import type { SessionState } from '../session/session.types.js';
import { CsrfGuard } from './csrf.guard.js';
import { LoginFormDto } from './dto/login-form.dto.js';
import { SecondFactorFormDto } from './dto/second-factor-form.dto.js';
import { FormErrorsInterceptor, FormView } from './form-errors.js';
import { PageExceptionFilter } from './page-exception.filter.js';
import { SecondFactorOptionsGuard } from './two-step-locals.guard.js';
import { noticeText } from './view-models.js';

/**
 * The signed-out pages: sign in (with its second step) and register. Each handler hands off to
 * AuthService.
 */
@Public()
@Controller()
@UseGuards(CsrfGuard)
@UseInterceptors(FormErrorsInterceptor)
@UseFilters(PageExceptionFilter)
export class AuthPagesController {
  constructor(
    private readonly auth: AuthService,
    private readonly session: SessionLifecycle,
  ) {}

  @Get()
  @Redirect()
  home(@SessionStatus() status: SessionState): { url: string } {
    if (status.kind === 'signed-in') return { url: '/profile' };
    return { url: status.kind === 'expired' ? '/login?notice=expired' : '/login' };
  }

  @Get('login')
  @Render('login')
  loginPage(@Query('notice') notice?: string) {
    return { notice: noticeText(notice) };
  }

  @Post('login')
  @RoutePolicy({ hashes: true })
  @FormView('login')
  @Redirect('/profile', 303)
  async login(@Req() req: Request, @Body() form: LoginFormDto): Promise<{ url: string }> {
    // The API's own sign-in, brute-force limits included.
    const outcome = await this.auth.signIn(req, form.email, form.password, form.rememberMe ?? false);
    return { url: outcome.kind === 'signed-in' ? '/profile' : '/login/second-factor' };
  }

  /**
   * The second step of a two-step sign-in, shown after the password form (POST /login sends the
   * browser here). Its session is a pending sign-in, not signed in: the form token is a signed-out
   * one, and without a pending sign-in there is nothing to complete here.
   */
  @Get('login/second-factor')
  @UseGuards(SecondFactorOptionsGuard)
  secondFactorPage(@Req() req: Request, @Res() res: Response, @SessionStatus() status: SessionState): void {
    if (status.kind === 'signed-in') return res.redirect('/profile');
    if (!this.session.pendingSignIn(req)) return res.redirect('/login');
    res.render('second-factor');
  }

  @Post('login/second-factor')
  @RoutePolicy({ codes: true })
  @UseGuards(SecondFactorOptionsGuard)
  @FormView('second-factor')
  @Redirect('/profile', 303)
  async secondFactor(
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
    @SessionStatus() status: SessionState,
    @Body() form: SecondFactorFormDto,
  ): Promise<{ url: string }> {
    if (form.code !== undefined && form.recoveryCode !== undefined)
      throw new BadRequestException('Give either code or recoveryCode, not both');
    try {
      if (form.recoveryCode !== undefined) await this.auth.completeSignIn(req, 'recoveryCode', form.recoveryCode);
      else await this.auth.completeSignIn(req, 'totp', form.code!);
    } catch (error) {
      const ended =
        (error instanceof UnauthorizedException && error.message === NO_SIGN_IN_IN_PROGRESS) ||
        (error instanceof WrongSecondFactorException && error.signInEnded);
      if (!ended) throw error;
      // Completed meanwhile (in another tab): nothing is lost.
      if (status.kind === 'signed-in') return { url: '/profile' };
      // Expired, never started, or ended by wrong codes (this one the last): its cookie goes, and the password is asked
      // again with a word why (a later page would otherwise call it an expired session).
      this.session.clearCookie(res);
      return { url: '/login?notice=sign-in-ended' };
    }
    return { url: '/profile' };
  }

  @Get('register')
  @Render('register')
  registerPage() {
    return {};
  }

  @Post('register')
  @RoutePolicy({ hashes: true, mails: true })
  @FormView('register')
  @Redirect('/profile', 303)
  async register(@Req() req: Request, @Body() form: RegisterDto): Promise<void> {
    await this.auth.register(form, req);
  }
}
