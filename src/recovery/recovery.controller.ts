import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import type { Request } from 'express';
import { Public } from '../common/public.decorator.js';
import { RoutePolicy } from '../common/route-policy.js';
import { CurrentSession, type SignedIn } from '../session/current-session.js';
import { eventOrigin } from '../session/event-origin.js';
import { PasswordResetConfirmDto } from './dto/password-reset-confirm.dto.js';
import { PasswordResetRequestDto } from './dto/password-reset-request.dto.js';
import { VerifyEmailDto } from './dto/verify-email.dto.js';
import { EmailVerificationService, VERIFICATION_SENT } from './email-verification.service.js';
import { PasswordResetService, RESET_REQUESTED } from './password-reset.service.js';

@Controller('api/auth')
export class RecoveryController {
  constructor(
    private readonly reset: PasswordResetService,
    private readonly verification: EmailVerificationService,
  ) {}

  @Public()
  @Post('password-reset')
  @RoutePolicy({ mails: true })
  @HttpCode(202)
  async requestReset(@Body() dto: PasswordResetRequestDto, @Req() req: Request): Promise<{ message: string }> {
    await this.reset.request(dto.email, req.ip);
    return { message: RESET_REQUESTED };
  }

  @Public()
  @Post('password-reset/confirm')
  @RoutePolicy({ hashes: true, token: true })
  @HttpCode(204)
  async confirmReset(@Body() dto: PasswordResetConfirmDto, @Req() req: Request): Promise<void> {
    await this.reset.confirm(dto.token, dto.newPassword, eventOrigin(req));
  }

  @Public()
  @Post('verify-email')
  @RoutePolicy({ token: true })
  @HttpCode(204)
  async verify(@Body() dto: VerifyEmailDto, @Req() req: Request): Promise<void> {
    await this.verification.verify(dto.token, eventOrigin(req));
  }

  @Post('verify-email/resend')
  @RoutePolicy({ mails: true })
  @HttpCode(202)
  async resend(@CurrentSession() me: SignedIn, @Req() req: Request): Promise<{ message: string }> {
    await this.verification.resend(me.userId, req.ip);
    return { message: VERIFICATION_SENT };
  }
}
