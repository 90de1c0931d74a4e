import {
  Body,
  Controller,
  Get,
  HttpCode,
  NotFoundException,
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
import { RenamePasskeyDto } from '../passkeys/dto/passkey-response.dto.js';
import { PasskeysService } from '../passkeys/passkeys.service.js';
import { CurrentSession, type SignedIn } from '../session/current-session.js';
import { eventOrigin } from '../session/event-origin.js';
import { RequiresSudo } from '../session/sudo.js';
import { CodeDto } from '../two-step/dto/code.dto.js';
import { TwoStepService } from '../two-step/two-step.service.js';
import { CsrfGuard } from './csrf.guard.js';
import { FormErrorsInterceptor, FormView } from './form-errors.js';
import { PageExceptionFilter } from './page-exception.filter.js';
import { PageUserGuard } from './page-user.guard.js';
import { SecurityViewGuard, TotpSetupGuard } from './two-step-locals.guard.js';
import { noticeText } from './view-models.js';

/** What the recovery codes page says above the codes, by how they came. */
const CODES_AFTER_SETUP = 'Two-step sign-in is on; your other sessions were signed out';
const CODES_REPLACED = 'New recovery codes made: the old ones no longer work';

/**
 * /security: two-step sign-in on or off, and the recovery codes (README, Two-step sign-in), through
 * TwoStepService as the API's TwoStepController does; the passkeys, renamed and removed through
 * PasskeysService (adding one is a WebAuthn ceremony: the page's script and the JSON API,
 * docs/passkeys.md). Every change needs sudo mode: outside it PageExceptionFilter sends the
 * browser to /reauthenticate and back. Recovery codes are only ever the body of the POST that
 * made them, never in a URL, and like every page `no-store`.
 */
@Controller('security')
@UseGuards(PageUserGuard, CsrfGuard)
@UseInterceptors(FormErrorsInterceptor)
@UseFilters(PageExceptionFilter)
export class SecurityPagesController {
  constructor(
    private readonly twoStep: TwoStepService,
    private readonly passkeys: PasskeysService,
  ) {}

  @Get()
  @UseGuards(SecurityViewGuard)
  @Render('security')
  securityPage(@Query('notice') notice?: string) {
    return { notice: noticeText(notice) };
  }

  /** A new secret, parked in the session; the set-up page shows it (a GET, so a reload shows the same one). */
  @Post('totp')
  @RequiresSudo()
  @Redirect('/security/totp', 303)
  async beginTotp(@Req() req: Request, @CurrentSession() me: SignedIn): Promise<void> {
    await this.twoStep.beginEnrolment(req, me);
  }

  @Get('totp')
  @RequiresSudo()
  @UseGuards(TotpSetupGuard)
  setupPage(@Res() res: Response): void {
    // TotpSetupGuard put the set-up under way on res.locals; none (expired, or never begun): start over.
    if (!res.locals.setup) return res.redirect('/security');
    res.render('two-step-setup');
  }

  /** The first code turns it on; a wrong one shows the same set-up again (FormView, TotpSetupGuard). */
  @Post('totp/confirm')
  @HttpCode(200)
  @RequiresSudo()
  @UseGuards(TotpSetupGuard)
  @FormView('two-step-setup')
  async confirmTotp(@Req() req: Request, @Res() res: Response, @CurrentSession() me: SignedIn, @Body() form: CodeDto): Promise<void> {
    if (!res.locals.setup) return res.redirect(303, '/security?notice=setup-expired');
    const recoveryCodes = await this.twoStep.confirmEnrolment(req, me, form.code);
    res.render('recovery-codes', { notice: CODES_AFTER_SETUP, recoveryCodes });
  }

  @Post('recovery-codes')
  @HttpCode(200)
  @RequiresSudo()
  @Render('recovery-codes')
  async regenerate(@Req() req: Request, @CurrentSession() me: SignedIn) {
    return { notice: CODES_REPLACED, recoveryCodes: await this.twoStep.regenerateRecoveryCodes(me.userId, eventOrigin(req)) };
  }

  @Post('totp/disable')
  @RequiresSudo()
  @Redirect('/security?notice=two-step-off', 303)
  async disableTotp(@Req() req: Request, @CurrentSession() me: SignedIn): Promise<void> {
    await this.twoStep.disable(me, eventOrigin(req));
  }

  /** A refused name (empty, too long) shows the page again, the message at that passkey's form. */
  @Post('passkeys/:id/rename')
  @RequiresSudo()
  @UseGuards(SecurityViewGuard)
  @FormView('security')
  @Redirect('/security?notice=passkey-renamed', 303)
  async renamePasskey(@CurrentSession() me: SignedIn, @Param('id') id: string, @Body() form: RenamePasskeyDto): Promise<void> {
    await this.passkeys.rename(me.userId, id, form.name);
  }

  @Post('passkeys/:id/remove')
  @RequiresSudo()
  @Redirect('/security?notice=passkey-removed', 303)
  async removePasskey(@Req() req: Request, @CurrentSession() me: SignedIn, @Param('id') id: string): Promise<{ url: string } | void> {
    try {
      await this.passkeys.remove(me.userId, id, eventOrigin(req));
    } catch (error) {
      // Not one of the user's (or removed already, in another tab): the list the user lands on shows the truth.
      if (error instanceof NotFoundException) return { url: '/security' };
      throw error;
    }
  }
}
