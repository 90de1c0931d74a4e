import { ForbiddenException, Injectable, Logger, NotFoundException, UnauthorizedException } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AuthenticationResponseJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import type { Request, Response } from 'express';
import { SecurityEvents } from '../activity/security-events.js';
import type { AppConfig } from '../config/config.schema.js';
import { MailQueue } from '../mail/mail-queue.js';
import { MailThrottle } from '../mail/mail-throttle.js';
import { PasskeysService } from '../passkeys/passkeys.service.js';
import { PasswordService } from '../passwords/password.service.js';
import { signedIn } from '../session/current-session.js';
import { eventOrigin } from '../session/event-origin.js';
import type { PendingSignIn } from '../session/pending-sign-in.js';
import { SessionLifecycle } from '../session/session-lifecycle.js';
import type { SignInMethod } from '../session/session.types.js';
import { INVALID_CODE, TwoStepService } from '../two-step/two-step.service.js';
import type { User } from '../users/user.entity.js';
import { UsersService } from '../users/users.service.js';
import type { RegisterDto } from './dto/register.dto.js';
import { CredentialThrottle } from './credential-throttle.js';
import { RegistrationBudget } from './registration-budget.js';

export const INVALID_CREDENTIALS = 'Invalid email or password';
export const EMAIL_NOT_VERIFIED = 'Email not verified';
export const INVALID_REAUTHENTICATION = 'Invalid credentials';
export const NO_SIGN_IN_IN_PROGRESS = 'No sign-in in progress';
export const INVALID_PASSKEY = 'Invalid passkey';
export const NO_PASSKEY = 'No passkey';

/** A wrong second factor at sign-in; `signInEnded` when it was the one that ended the pending sign-in. */
export class WrongSecondFactorException extends UnauthorizedException {
  constructor(
    message: string,
    readonly signInEnded: boolean,
  ) {
    super(message);
  }
}

/** The second factors that can complete a pending sign-in. */
export type SecondFactorMethod = Extract<SignInMethod, 'totp' | 'recoveryCode' | 'passkey'>;
/** The ones that are a typed code. */
export type CodeMethod = Extract<SecondFactorMethod, 'totp' | 'recoveryCode'>;

/** What the password step led to: signed in, or a second factor due (a pending sign-in). */
export type SignInOutcome = { kind: 'signed-in'; user: User } | { kind: 'second-factor'; methods: SecondFactorMethod[] };

/** How a signed-in user proves it again: the password, a code of the authenticator, or a passkey. */
export type Reauthentication = { password: string } | { code: string } | { passkey: AuthenticationResponseJSON };

@Injectable()
export class AuthService {
  private readonly logger = new Logger(AuthService.name);
  private readonly requireVerifiedEmail: boolean;

  constructor(
    private readonly users: UsersService,
    private readonly passwords: PasswordService,
    private readonly session: SessionLifecycle,
    private readonly throttle: CredentialThrottle,
    private readonly mailQueue: MailQueue,
    private readonly mailThrottle: MailThrottle,
    private readonly registrations: RegistrationBudget,
    private readonly twoStep: TwoStepService,
    private readonly passkeys: PasskeysService,
    private readonly events: SecurityEvents,
    config: ConfigService<AppConfig, true>,
  ) {
    this.requireVerifiedEmail = config.get('requireVerifiedEmail', { infer: true });
  }

  async register(dto: RegisterDto, req: Request): Promise<User> {
    this.passwords.assertAcceptable(dto.password, 'password');
    await this.registrations.take(req.ip);
    const user = await this.users.create({
      email: dto.email,
      displayName: dto.displayName,
      passwordHash: await this.passwords.hash(dto.password),
    });
    try {
      await this.session.start(req, user, false, ['password']);
      // The first sign-in of the account: recorded, but no device is new to an account that has none.
      await this.events.signedIn(user.id, eventOrigin(req), ['password'], true);
    } catch (error) {
      // The client is told registration failed (503 while Redis is down), so it must be able to
      // try again: no account may be left behind to answer its retry with 409. Should Postgres
      // be failing too, the original error is the one worth reporting.
      await this.users.remove(user.id).catch(() => undefined);
      throw error;
    }
    await this.queueVerificationMail(user, req.ip);
    return user;
  }

  /**
   * The verification mail of a new account: queued, never sent while the client waits. Only
   * REGISTRATION_MAILS_PER_ADDRESS registrations per client address an hour get one, so that one
   * client cannot have the app mail inbox after inbox; the worker also counts it against the
   * inbox's MAILS_PER_EMAIL and drops it past them (MailThrottle). Neither undoes the registration,
   * nor does failing to queue: the profile page offers to send another.
   */
  private async queueVerificationMail(user: User, ip: string | undefined): Promise<void> {
    try {
      if (!(await this.mailThrottle.admitRegistrationMail(ip))) {
        this.logger.log(`Verification mail for user ${user.id} not queued: its address had its registration mails of the hour`);
        return;
      }
      await this.mailQueue.enqueue({ kind: 'verify-email', userId: user.id });
    } catch (error) {
      this.logger.warn(`Verification mail for user ${user.id} not queued: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /**
   * The one sign-in, for the API and the login page alike: the credential check under the
   * brute-force limits (429 when the email is locked for this client, or the client is; see
   * CredentialThrottle), then a fresh session, or, for a user with two-step sign-in on, a pending
   * sign-in that a second factor completes (completeSignIn).
   */
  async signIn(req: Request, email: string, password: string, rememberMe: boolean): Promise<SignInOutcome> {
    this.passwords.assertCapacity();
    const user = await this.throttle.login(email, req.ip, () => this.verifyCredentials(req, email, password));
    if (await this.twoStep.isOn(user.id)) {
      await this.session.startPending(req, user, rememberMe);
      const passkey: SecondFactorMethod[] = (await this.passkeys.has(user.id)) ? ['passkey'] : [];
      return { kind: 'second-factor', methods: ['totp', 'recoveryCode', ...passkey] };
    }
    return { kind: 'signed-in', user: await this.startSessionFor(req, user, rememberMe) };
  }

  /**
   * The second step of a pending sign-in: a TOTP code or a recovery code of the user whose password
   * was right. Counted like password checks, per user (CredentialThrottle.secondFactor); the
   * PENDING_SIGN_IN_ATTEMPTS-th wrong code also ends the pending sign-in. A right one signs in on a
   * new id, once: a code is spent by a compare-and-set, and a pending sign-in is taken by one
   * request only.
   */
  async completeSignIn(req: Request, method: CodeMethod, code: string): Promise<User> {
    const pending = this.session.pendingSignIn(req);
    if (!pending) throw new UnauthorizedException(NO_SIGN_IN_IN_PROGRESS);
    return this.completePending(req, pending, method, INVALID_CODE, (user) =>
      method === 'totp' ? this.twoStep.verifyTotp(user.id, code) : this.twoStep.useRecoveryCode(user.id, code),
    );
  }

  /** completeSignIn's steps, whatever the second factor: `right` checks it for the pending user. */
  private async completePending(
    req: Request,
    pending: PendingSignIn,
    method: SecondFactorMethod,
    invalid: string,
    right: (user: User) => Promise<boolean>,
  ): Promise<User> {
    // A password change or reset since the password step ends it: that password is no proof now.
    const found = await this.users.findById(pending.userId);
    if (!found || found.passwordChangedAt.getTime() !== pending.credential) {
      await this.session.endPending(req);
      throw new UnauthorizedException(NO_SIGN_IN_IN_PROGRESS);
    }
    const user = await this.throttle.secondFactor(found.id, req.ip, async () => {
      if (!(await right(found))) {
        await this.events.recordFailure(found.id, 'second-factor-failed', eventOrigin(req));
        throw new WrongSecondFactorException(invalid, await this.session.pendingFailed(req));
      }
      return found;
    });
    if (!(await this.session.completePending(req, user, pending, method))) throw new UnauthorizedException(NO_SIGN_IN_IN_PROGRESS);
    await this.events.signedIn(user.id, eventOrigin(req), ['password', method]);
    return this.users.recordLogin(user);
  }

  /**
   * Options for `POST /api/auth/passkey` (docs/passkeys.md): for a signed-out visitor, none of
   * anyone's passkeys (the browser offers the ones for this site it holds: discoverable
   * credentials); during a pending sign-in, the pending user's. Nothing is stored: the challenge
   * carries its own proof (passkeys/challenge.ts).
   */
  passkeyOptions(req: Request): Promise<PublicKeyCredentialRequestOptionsJSON> {
    return this.passkeys.assertionOptions('sign-in', undefined, this.session.pendingSignIn(req)?.userId);
  }

  /**
   * Signs in with a passkey: a new session, `methods` `["passkey"]`, no second step (a passkey
   * with user verification is two factors already). During a pending sign-in, it completes that
   * sign-in instead, with one of the pending user's passkeys only, like a code (completeSignIn).
   *
   * Counted like a second factor of the passkey's owner (CredentialThrottle.secondFactor); an
   * assertion for a credential nobody has names no owner, and counts against the client address.
   */
  async signInWithPasskey(req: Request, response: AuthenticationResponseJSON): Promise<User> {
    const pending = this.session.pendingSignIn(req);
    if (pending) {
      return this.completePending(req, pending, 'passkey', INVALID_PASSKEY, async (user) => {
        const passkey = await this.passkeys.find(response);
        return passkey?.userId === user.id && this.passkeys.verifyAssertion(req, passkey, response, 'sign-in', undefined);
      });
    }
    const passkey = await this.passkeys.find(response);
    if (!passkey) {
      return this.throttle.unknownPasskey(req.ip, () => Promise.reject(new UnauthorizedException(INVALID_PASSKEY)));
    }
    const user = await this.throttle.secondFactor(passkey.userId, req.ip, async () => {
      if (!(await this.passkeys.verifyAssertion(req, passkey, response, 'sign-in', undefined))) {
        // One of the user's passkeys, but not this assertion: a failed sign-in of that user.
        await this.events.recordFailure(passkey.userId, 'sign-in-failed', eventOrigin(req));
        throw new UnauthorizedException(INVALID_PASSKEY);
      }
      const found = await this.users.findById(passkey.userId);
      if (!found) throw new UnauthorizedException(INVALID_PASSKEY);
      // As after a right password (verifyCredentials): it tells nothing to someone without the passkey.
      if (this.requireVerifiedEmail && !found.emailVerifiedAt) throw new ForbiddenException(EMAIL_NOT_VERIFIED);
      return found;
    });
    return this.startSessionFor(req, user, false, ['passkey']);
  }

  /** Options for re-authenticating with a passkey: the signed-in user's own; 404 when there is none. */
  async reauthenticationOptions(req: Request): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const { userId } = signedIn(req);
    if (!(await this.passkeys.has(userId))) throw new NotFoundException(NO_PASSKEY);
    return this.passkeys.assertionOptions('reauthentication', userId, userId);
  }

  /**
   * One answer for "no such email" and "wrong password", in the same time (PasswordService). With
   * REQUIRE_VERIFIED_EMAIL, an unverified user is refused only after the password matched, so the
   * refusal tells nothing to someone who does not have it.
   *
   * A wrong password for an account goes into its activity log, counted into one row per burst
   * (SecurityEvents.recordFailure); an email without an account leaves nothing: there is nobody
   * to show it to, and anyone could make rows of it. That write is the one thing the two cases do
   * differently, so the answer does not wait for it: timed from outside, both are one password
   * hash. It runs at most as often as hashes do, which bounds what it takes of the pool.
   */
  private async verifyCredentials(req: Request, email: string, password: string): Promise<User> {
    const user = await this.users.findByEmail(email);
    const right = await this.passwords.verify(user?.passwordHash, password);
    if (!user) throw new UnauthorizedException(INVALID_CREDENTIALS);
    if (!right) {
      this.events.recordFailure(user.id, 'sign-in-failed', eventOrigin(req)).catch((error: unknown) => {
        this.logger.warn(`Failed sign-in of user ${user.id} not recorded: ${error instanceof Error ? error.message : String(error)}`);
      });
      throw new UnauthorizedException(INVALID_CREDENTIALS);
    }
    if (this.requireVerifiedEmail && !user.emailVerifiedAt) throw new ForbiddenException(EMAIL_NOT_VERIFIED);
    return user;
  }

  /**
   * Starts a session for `user`, checking nothing: only for a user whose credentials this request
   * has just proven (signIn).
   */
  async startSessionFor(req: Request, user: User, rememberMe: boolean, methods: SignInMethod[] = ['password']): Promise<User> {
    await this.session.start(req, user, rememberMe, methods);
    await this.events.signedIn(user.id, eventOrigin(req), methods);
    return this.users.recordLogin(user);
  }

  /**
   * The signed-in user proves it again, with the password, a code of the authenticator or one of
   * its passkeys: a new session id and sudo mode from now (docs/sessions.md, Sudo mode). Counted
   * like every check of a current password or second factor; a wrong one is 403 "Invalid
   * credentials", not 401, which would read as "signed out". A TOTP code is spent as at sign-in,
   * and a passkey's challenge too: each works once.
   */
  async reauthenticate(req: Request, proof: Reauthentication): Promise<void> {
    const { userId } = signedIn(req);
    const refuse = () => new ForbiddenException(INVALID_REAUTHENTICATION);
    if ('passkey' in proof) {
      const user = await this.throttle.secondFactor(userId, req.ip, async () => {
        const [found, passkey] = await Promise.all([this.users.findById(userId), this.passkeys.find(proof.passkey)]);
        // A challenge of re-authentication, issued to this user, with a passkey of this user.
        const right =
          passkey?.userId === userId && (await this.passkeys.verifyAssertion(req, passkey, proof.passkey, 'reauthentication', userId));
        if (!found || !right) throw refuse();
        return found;
      });
      return this.session.reauthenticated(req, user, 'passkey');
    }
    if ('code' in proof) {
      const user = await this.throttle.secondFactor(userId, req.ip, async () => {
        const found = await this.users.findById(userId);
        if (!found || !(await this.twoStep.verifyTotp(userId, proof.code))) throw refuse();
        return found;
      });
      return this.session.reauthenticated(req, user, 'totp');
    }
    this.passwords.assertCapacity();
    const user = await this.throttle.passwordCheck(userId, req.ip, async () => {
      const found = await this.users.findById(userId);
      if (!(await this.passwords.verify(found?.passwordHash, proof.password)) || !found) throw refuse();
      return found;
    });
    await this.session.reauthenticated(req, user, 'password');
  }

  logout(req: Request, res: Response): Promise<void> {
    return this.session.end(req, res);
  }
}
