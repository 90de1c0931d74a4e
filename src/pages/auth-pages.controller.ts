import { Body, Controller, Get, Post, Query, Redirect, Render, Req, UseFilters, UseGuards, UseInterceptors } from '@nestjs/common';
import type { Request } from 'express';
import { AuthService } from '../auth/auth.service.js';
import { RegisterDto } from '../auth/dto/register.dto.js';
import { Public } from '../common/public.decorator.js';
import { RoutePolicy } from '../common/route-policy.js';
import { SessionStatus } from '../session/current-session.js';
import type { SessionState } from '../session/session.types.js';
import { CsrfGuard } from './csrf.guard.js';
import { LoginFormDto } from './dto/login-form.dto.js';
import { FormErrorsInterceptor, FormView } from './form-errors.js';
import { PageExceptionFilter } from './page-exception.filter.js';
import { noticeText } from './view-models.js';

/** The signed-out pages: sign in and register. Each handler hands off to AuthService. */
@Public()
@Controller()
@UseGuards(CsrfGuard)
@UseInterceptors(FormErrorsInterceptor)
@UseFilters(PageExceptionFilter)
export class AuthPagesController {
  constructor(private readonly auth: AuthService) {}

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
