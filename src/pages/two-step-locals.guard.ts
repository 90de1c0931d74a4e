import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import { PasskeysService } from '../passkeys/passkeys.service.js';
import { signedIn } from '../session/current-session.js';
import { SessionLifecycle } from '../session/session-lifecycle.js';
import { TwoStepService } from '../two-step/two-step.service.js';
import { qrCodeSvg } from './qr-svg.js';
import { passkeyRows, secretGroups, securityView } from './view-models.js';

/*
 * What a two-step or passkey page needs besides the form, put on res.locals as PageUserGuard puts
 * the user: guards run before the body is validated, so the form shown again after any refusal
 * (the validation pipe's included, FormErrorsInterceptor) still has it.
 */

/**
 * Whether /reauthenticate also takes a code of the authenticator (`codeAccepted`) and a passkey
 * (`passkeyAccepted`: the user has one).
 */
@Injectable()
export class ReauthenticationOptionsGuard implements CanActivate {
  constructor(
    private readonly twoStep: TwoStepService,
    private readonly passkeys: PasskeysService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const { userId } = signedIn(http.getRequest<Request>());
    const [codeAccepted, passkeyAccepted] = await Promise.all([this.twoStep.isOn(userId), this.passkeys.has(userId)]);
    Object.assign(http.getResponse<Response>().locals, { codeAccepted, passkeyAccepted });
    return true;
  }
}

/** Whether the second step of this pending sign-in also takes a passkey (`passkeyAccepted`: its user has one). */
@Injectable()
export class SecondFactorOptionsGuard implements CanActivate {
  constructor(
    private readonly session: SessionLifecycle,
    private readonly passkeys: PasskeysService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const pending = this.session.pendingSignIn(http.getRequest<Request>());
    http.getResponse<Response>().locals.passkeyAccepted = pending !== undefined && (await this.passkeys.has(pending.userId));
    return true;
  }
}

/**
 * The state /security shows: two-step sign-in and the passkeys (`passkeys`), the one whose rename
 * this request is marked `renaming`, so a refused rename shows its form again with the message.
 */
@Injectable()
export class SecurityViewGuard implements CanActivate {
  constructor(
    private readonly twoStep: TwoStepService,
    private readonly passkeys: PasskeysService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const req = http.getRequest<Request<{ id?: string }>>();
    const { userId } = signedIn(req);
    const [status, passkeys] = await Promise.all([this.twoStep.status(userId), this.passkeys.list(userId)]);
    Object.assign(http.getResponse<Response>().locals, { ...securityView(status), passkeys: passkeyRows(passkeys, req.params.id) });
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
