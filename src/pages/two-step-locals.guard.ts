import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import { signedIn } from '../session/current-session.js';
import { TwoStepService } from '../two-step/two-step.service.js';
import { qrCodeSvg } from './qr-svg.js';
import { secretGroups } from './view-models.js';

/*
 * What a two-step page needs besides the form, put on res.locals as PageUserGuard puts the user:
 * guards run before the body is validated, so the form shown again after any refusal (the
 * validation pipe's included, FormErrorsInterceptor) still has it.
 */

/** Whether /reauthenticate also takes a code of the authenticator (`codeAccepted`). */
@Injectable()
export class ReauthenticationOptionsGuard implements CanActivate {
  constructor(private readonly twoStep: TwoStepService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    http.getResponse<Response>().locals.codeAccepted = await this.twoStep.isOn(signedIn(http.getRequest<Request>()).userId);
    return true;
  }
}

export interface TotpSetupView {
  /** Inline SVG markup (qr-svg.ts). */
  qrCode: string;
  secretGroups: string[];
}

/**
 * The set-up under way in this session (`setup`: its QR code and its secret for typing), or
 * nothing when there is none or it expired: the same secret each time it is shown, until the
 * first code confirms it.
 */
@Injectable()
export class TotpSetupGuard implements CanActivate {
  constructor(private readonly twoStep: TwoStepService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<Request>();
    const enrolment = await this.twoStep.pendingEnrolment(req, signedIn(req));
    const setup: TotpSetupView | undefined = enrolment && {
      qrCode: await qrCodeSvg(enrolment.uri),
      secretGroups: secretGroups(enrolment.secret),
    };
    context.switchToHttp().getResponse<Response>().locals.setup = setup;
    return true;
  }
}
