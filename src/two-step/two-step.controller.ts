import { Body, Controller, Delete, Get, HttpCode, Post, Req } from '@nestjs/common';
import type { Request } from 'express';
import { type PasskeyJson, PasskeysService } from '../passkeys/passkeys.service.js';
import { CurrentSession, type SignedIn } from '../session/current-session.js';
import { eventOrigin } from '../session/event-origin.js';
import { RequiresSudo } from '../session/sudo.js';
import { CodeDto } from './dto/code.dto.js';
import { type TotpEnrolment, TwoStepService, type TwoStepStatus } from './two-step.service.js';

/** Turning two-step sign-in on and off, and the recovery codes (README, Two-step sign-in). */
@Controller('api/profile')
export class TwoStepController {
  constructor(
    private readonly twoStep: TwoStepService,
    private readonly passkeys: PasskeysService,
  ) {}

  /** Two-step sign-in, recovery codes and passkeys, in one answer for the security page. */
  @Get('security')
  async security(@CurrentSession() me: SignedIn): Promise<TwoStepStatus & { passkeys: PasskeyJson[] }> {
    const [status, passkeys] = await Promise.all([this.twoStep.status(me.userId), this.passkeys.list(me.userId)]);
    return { ...status, passkeys };
  }

  @Post('totp')
  @RequiresSudo()
  @HttpCode(200)
  beginTotp(@Req() req: Request, @CurrentSession() me: SignedIn): Promise<TotpEnrolment> {
    return this.twoStep.beginEnrolment(req, me);
  }

  @Post('totp/confirm')
  @RequiresSudo()
  @HttpCode(200)
  async confirmTotp(@Req() req: Request, @CurrentSession() me: SignedIn, @Body() dto: CodeDto): Promise<{ recoveryCodes: string[] }> {
    return { recoveryCodes: await this.twoStep.confirmEnrolment(req, me, dto.code) };
  }

  @Delete('totp')
  @RequiresSudo()
  @HttpCode(204)
  async disableTotp(@Req() req: Request, @CurrentSession() me: SignedIn): Promise<void> {
    await this.twoStep.disable(me, eventOrigin(req));
  }

  @Post('recovery-codes')
  @RequiresSudo()
  @HttpCode(200)
  async regenerate(@Req() req: Request, @CurrentSession() me: SignedIn): Promise<{ recoveryCodes: string[] }> {
    return { recoveryCodes: await this.twoStep.regenerateRecoveryCodes(me.userId, eventOrigin(req)) };
  }
}
