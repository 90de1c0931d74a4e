import { BadRequestException, Injectable, Logger, NotFoundException } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  type AuthenticationResponseJSON,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
  SimpleWebAuthnError,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import type { Request } from 'express';
import { DataSource } from 'typeorm';
import type { EventOrigin } from '../activity/security-event.js';
import { SecurityEvents } from '../activity/security-events.js';
import type { AppConfig } from '../config/config.schema.js';
import { rpIdProblem } from '../config/rp-id.js';
import { SecurityNotices } from '../mail/security-notices.js';
import type { User } from '../users/user.entity.js';
import { type Ceremony, CHALLENGE_MS, type CheckedChallenge, PasskeyChallenges } from './challenge.js';
import { defaultPasskeyName } from './passkey-name.js';
import { signCounterAdvances } from './sign-counter.js';

export const INVALID_PASSKEY_RESPONSE = 'Invalid passkey response';
export const PASSKEY_NOT_FOUND = 'Passkey not found';

/** ES256 and RS256 (COSE -7 and -257): what every platform authenticator and security key offers. */
const ALGORITHMS = [-7, -257];

/** `{id, name, createdAt, lastUsedAt, backedUp}` (SPEC section 7); the id is the credential id, base64url. */
export interface PasskeyJson {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
  backedUp: boolean;
}

/** A passkey as stored, with what checking an assertion needs. */
export interface StoredPasskey {
  id: string;
  userId: string;
  publicKey: Buffer;
  signCount: number;
  transports: string[];
}

interface PasskeyRow {
  credential_id: Buffer;
  user_id: string;
  public_key: Buffer;
  sign_count: string;
  transports: string[];
  backed_up: boolean;
  name: string;
  created_at: Date;
  last_used_at: Date | null;
}

const COLUMNS = 'credential_id, user_id, public_key, sign_count, transports, backed_up, name, created_at, last_used_at';

function toJson(row: PasskeyRow): PasskeyJson {
  return {
    id: row.credential_id.toString('base64url'),
    name: row.name,
    createdAt: row.created_at.toISOString(),
    lastUsedAt: row.last_used_at?.toISOString() ?? null,
    backedUp: row.backed_up,
  };
}

function toStored(row: PasskeyRow): StoredPasskey {
  return {
    id: row.credential_id.toString('base64url'),
    userId: row.user_id,
    publicKey: row.public_key,
    signCount: Number(row.sign_count),
    transports: row.transports,
  };
}

/**
 * The WebAuthn user handle of a user: their id, as UTF-8. A discoverable assertion carries it
 * back (`userHandle`), and it must name the owner of the credential it was made with.
 */
export function userHandle(userId: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(userId, 'utf8'));
}

/** A credential id as the API and the browser write it (base64url), as stored; undefined when it cannot be one. */
function credentialId(id: string): Buffer | undefined {
  const bytes = Buffer.from(id, 'base64url');
  return bytes.length > 0 && bytes.length <= 1023 && bytes.toString('base64url') === id ? bytes : undefined;
}

/**
 * A user's passkeys (docs/passkeys.md): registering one, listing, renaming and removing them,
 * and checking an assertion made with one. The ceremonies are @simplewebauthn/server's; the
 * challenges (challenge.ts), the counter's compare-and-set and who may use which passkey are
 * Gatehouse's. Signing in with a passkey is AuthService's, which asks this service.
 */
@Injectable()
export class PasskeysService {
  private readonly logger = new Logger('Passkeys');
  private readonly rpId: string;
  private readonly rpName: string;
  private readonly publicOrigin: string | undefined;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    config: ConfigService<AppConfig, true>,
    private readonly challenges: PasskeyChallenges,
    private readonly notices: SecurityNotices,
    private readonly events: SecurityEvents,
  ) {
    ({ rpId: this.rpId, rpName: this.rpName } = config.get('webauthn', { infer: true }));
    this.publicOrigin = config.get('publicOrigin', { infer: true });
    // The app starts anyway (SPEC section 3 gives WEBAUTHN_RP_ID a default, nothing more), but the
    // browser would refuse every ceremony before it reaches the app: say so once, here.
    const problem = rpIdProblem(this.rpId, this.publicOrigin ?? `http://localhost:${config.get('port', { infer: true })}`);
    if (problem) this.logger.warn(`Passkeys will not work: ${problem.what}. \`npm run doctor\` explains (GH-C011).`);
  }

  /**
   * Where a ceremony must have happened: PUBLIC_ORIGIN, or without it (development only) the
   * origin the request was addressed to, as for the cross-site check (same-origin.guard.ts).
   */
  private expectedOrigin(req: Request): string {
    return this.publicOrigin ?? `${req.protocol}://${req.get('host')}`;
  }

  // --- the owner's list (signed in) ----------------------------------------------------------

  async list(userId: string): Promise<PasskeyJson[]> {
    return (await this.rows(userId)).map(toJson);
  }

  async has(userId: string): Promise<boolean> {
    const rows = (await this.db.query(`SELECT 1 FROM passkeys WHERE user_id = $1 LIMIT 1`, [userId])) as unknown[];
    return rows.length > 0;
  }

  async rename(userId: string, id: string, name: string): Promise<PasskeyJson> {
    const bytes = credentialId(id);
    const [rows] = (
      bytes
        ? await this.db.query(`UPDATE passkeys SET name = $3 WHERE credential_id = $1 AND user_id = $2 RETURNING ${COLUMNS}`, [
            bytes,
            userId,
            name,
          ])
        : [[]]
    ) as [PasskeyRow[], number];
    if (rows.length === 0) throw new NotFoundException(PASSKEY_NOT_FOUND);
    return toJson(rows[0]);
  }

  /**
   * Removes one of the user's passkeys, recorded in the activity log (made by `origin`) in the same
   * transaction, and tells the owner. "Removing the last way to sign in is
   * refused" (SPEC section 7) never applies today: every account has a password (registration
   * requires one, and nothing removes it), so a passkey is never the last way in. An account
   * without a password, should Gatehouse ever make one, must refuse here when this is its last.
   */
  async remove(userId: string, id: string, origin: EventOrigin): Promise<void> {
    const bytes = credentialId(id);
    if (!bytes) throw new NotFoundException(PASSKEY_NOT_FOUND);
    await this.db.transaction(async (m) => {
      const [, deleted] = (await m.query(`DELETE FROM passkeys WHERE credential_id = $1 AND user_id = $2`, [bytes, userId])) as [
        unknown[],
        number,
      ];
      if (deleted === 0) throw new NotFoundException(PASSKEY_NOT_FOUND);
      await this.events.record(m, userId, 'passkey-removed', origin);
    });
    await this.notices.notify(userId, 'passkey-removed');
  }

  // --- registration (signed in, in sudo mode) ------------------------------------------------

  /**
   * Options for navigator.credentials.create(): a discoverable credential (resident key) with user
   * verification, ES256 or RS256, no attestation, none of the user's own passkeys again
   * (excludeCredentials), and a challenge for registration by this user.
   */
  async registrationOptions(user: User): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const existing = await this.rows(user.id);
    return generateRegistrationOptions({
      rpName: this.rpName,
      rpID: this.rpId,
      userName: user.email,
      userDisplayName: user.displayName,
      userID: userHandle(user.id),
      challenge: new Uint8Array(this.challenges.issue('registration', user.id)),
      timeout: CHALLENGE_MS,
      attestationType: 'none',
      excludeCredentials: existing.map((row) => ({ id: row.credential_id.toString('base64url'), transports: row.transports })),
      authenticatorSelection: { residentKey: 'required', requireResidentKey: true, userVerification: 'required' },
      supportedAlgorithmIDs: ALGORITHMS,
    });
  }

  /**
   * Stores the passkey an attestation response carries, when it answers a registration challenge
   * of this user, from this origin and RP id, with user verification; the activity log records it
   * (made by `origin`) in the same transaction, and the owner is told. 400 "Invalid passkey
   * response" otherwise, and for a credential already registered.
   */
  async register(
    req: Request,
    userId: string,
    response: RegistrationResponseJSON,
    origin: EventOrigin,
    name?: string,
    now = new Date(),
  ): Promise<PasskeyJson> {
    const invalid = () => new BadRequestException(INVALID_PASSKEY_RESPONSE);
    let checked: CheckedChallenge | undefined;
    let verification: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
    try {
      verification = await verifyRegistrationResponse({
        response,
        expectedChallenge: (challenge) => (checked = this.challenges.check(challenge, 'registration', userId)) !== undefined,
        expectedOrigin: this.expectedOrigin(req),
        expectedRPID: this.rpId,
        requireUserPresence: true,
        requireUserVerification: true,
        supportedAlgorithmIDs: ALGORITHMS,
      });
    } catch (error) {
      this.refused('registration', error);
      throw invalid();
    }
    if (!verification.verified || !checked || !(await this.challenges.spend(checked))) throw invalid();
    const { credential, credentialBackedUp } = verification.registrationInfo;
    const row = await this.db.transaction(async (m) => {
      const [added] = (await m.query(
        `INSERT INTO passkeys (credential_id, user_id, public_key, sign_count, transports, backed_up, name, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (credential_id) DO NOTHING RETURNING ${COLUMNS}`,
        [
          Buffer.from(credential.id, 'base64url'),
          userId,
          Buffer.from(credential.publicKey),
          credential.counter,
          credential.transports ?? [],
          credentialBackedUp,
          name ?? defaultPasskeyName(req.get('user-agent'), now),
          now,
        ],
      )) as PasskeyRow[];
      // Registered already (excludeCredentials keeps the browser from offering it; a script may not).
      if (!added) throw invalid();
      await this.events.record(m, userId, 'passkey-added', origin, null, now);
      return added;
    });
    await this.notices.notify(userId, 'passkey-added');
    return toJson(row);
  }

  // --- assertions ----------------------------------------------------------------------------

  /**
   * Options for navigator.credentials.get(), with user verification and a challenge for
   * `ceremony` issued to `subject` (the signed-in user; undefined for a sign-in). With `owner`,
   * the options list that user's passkeys (allowCredentials); without, none: the browser offers
   * whichever passkey for this site it holds (discoverable credentials).
   */
  async assertionOptions(ceremony: Exclude<Ceremony, 'registration'>, subject: string | undefined, owner?: string) {
    const allowCredentials = owner === undefined ? undefined : await this.rows(owner);
    const options: PublicKeyCredentialRequestOptionsJSON = await generateAuthenticationOptions({
      rpID: this.rpId,
      challenge: new Uint8Array(this.challenges.issue(ceremony, subject)),
      timeout: CHALLENGE_MS,
      userVerification: 'required',
      allowCredentials: allowCredentials?.map((row) => ({ id: row.credential_id.toString('base64url'), transports: row.transports })),
    });
    return options;
  }

  /** The passkey an assertion names, if there is one. */
  async find(response: AuthenticationResponseJSON): Promise<StoredPasskey | undefined> {
    const bytes = credentialId(response.id);
    if (!bytes) return undefined;
    const rows = (await this.db.query(`SELECT ${COLUMNS} FROM passkeys WHERE credential_id = $1`, [bytes])) as PasskeyRow[];
    return rows[0] && toStored(rows[0]);
  }

  /**
   * Whether `response` is an assertion by `passkey`, made now: for a challenge of `ceremony`
   * issued to `subject` and not used yet, from this origin and RP id, with user verification,
   * signed by the passkey's key, for its owner (the user handle, when the browser sends one), with
   * a counter past the last one (sign-counter.ts). When it is, the challenge is spent and the
   * counter, the backed-up flag and the last use are stored; of two requests with one assertion
   * only one gets true.
   */
  async verifyAssertion(
    req: Request,
    passkey: StoredPasskey,
    response: AuthenticationResponseJSON,
    ceremony: Exclude<Ceremony, 'registration'>,
    subject: string | undefined,
    now = new Date(),
  ): Promise<boolean> {
    const handle = response.response.userHandle;
    if (handle !== undefined && Buffer.from(handle, 'base64url').toString('utf8') !== passkey.userId) return false;
    let checked: CheckedChallenge | undefined;
    let verification: Awaited<ReturnType<typeof verifyAuthenticationResponse>>;
    try {
      verification = await verifyAuthenticationResponse({
        response,
        expectedChallenge: (challenge) => (checked = this.challenges.check(challenge, ceremony, subject)) !== undefined,
        expectedOrigin: this.expectedOrigin(req),
        expectedRPID: this.rpId,
        credential: {
          id: passkey.id,
          publicKey: new Uint8Array(passkey.publicKey),
          counter: passkey.signCount,
          transports: passkey.transports,
        },
        requireUserVerification: true,
      });
    } catch (error) {
      this.refused(ceremony, error);
      return false;
    }
    const { newCounter, credentialBackedUp, userVerified } = verification.authenticationInfo;
    if (!verification.verified || !checked || !userVerified || !signCounterAdvances(passkey.signCount, newCounter)) return false;
    if (!(await this.challenges.spend(checked))) return false; // used already: a replay
    // The counter's compare-and-set: the rule of sign-counter.ts against the row as it is now.
    const [, updated] = (await this.db.query(
      `UPDATE passkeys SET sign_count = $3, backed_up = $4, last_used_at = $5
        WHERE credential_id = $1 AND user_id = $2 AND (sign_count < $3 OR (sign_count = 0 AND $3 = 0))`,
      [Buffer.from(passkey.id, 'base64url'), passkey.userId, newCounter, credentialBackedUp, now],
    )) as [unknown[], number];
    return updated === 1;
  }

  private rows(userId: string): Promise<PasskeyRow[]> {
    return this.db.query(`SELECT ${COLUMNS} FROM passkeys WHERE user_id = $1 ORDER BY created_at, credential_id`, [userId]) as Promise<
      PasskeyRow[]
    >;
  }

  /**
   * A response for another origin or RP id is worth a log line: a browser on the right site never
   * sends one, so it is a misconfiguration (PUBLIC_ORIGIN, WEBAUTHN_RP_ID: npm run doctor) or
   * someone else's phishing page. The library's message is not logged: it quotes the challenge.
   */
  private refused(ceremony: Ceremony, error: unknown): void {
    if (error instanceof SimpleWebAuthnError && (error.code === 'UNEXPECTED_ORIGIN' || error.code === 'UNEXPECTED_RP_ID')) {
      this.logger.log(
        `Passkey ${ceremony} refused: ${error.code === 'UNEXPECTED_ORIGIN' ? 'another origin' : 'another RP id'} than this app's`,
      );
    }
  }
}
