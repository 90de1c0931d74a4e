/**
 * Every code the doctor prints, with what it checks: the one catalogue. Report takes only these
 * (a new check without an entry does not compile), and codes.spec.ts holds docs/doctor.md and the
 * README's Troubleshooting list to it. Codes are stable: a fork adds codes, never renumbers.
 */
export const DOCTOR_CODES = {
  'GH-C001': 'the app starts with this configuration',
  'GH-C002': 'NODE_ENV is production',
  'GH-C003': 'TRUST_PROXY trusts no client-made X-Forwarded-For',
  'GH-C004': 'Secure cookies can be sent behind the proxy',
  'GH-C005': 'SESSION_SECRET looks random',
  'GH-C006': 'SESSION_IDLE_TIMEOUT is at most 1 h',
  'GH-C007': 'SESSION_REMEMBER_TIMEOUT is at most 30 days',
  'GH-C008': 'SESSION_COOKIE_SAMESITE is not none',
  'GH-C009': 'SMTP_URL is encrypted unless the relay is local',
  'GH-C010': 'DATA_ENCRYPTION_KEY looks random',
  'GH-C011': 'WEBAUTHN_RP_ID is the host of PUBLIC_ORIGIN or a parent domain of it',
  'GH-U001': 'HTTPS answers with a trusted certificate',
  'GH-U002': 'HTTP redirects to HTTPS, path kept',
  'GH-U003': 'Strict-Transport-Security is on',
  'GH-U004': "the deployment's clock is right",
  'GH-U005': 'signing in through the API works',
  'GH-U006': 'the session cookie is set',
  'GH-U007': "the cookie keeps its prefix's rules",
  'GH-U008': 'the cookie is Secure',
  'GH-U009': 'the cookie is HttpOnly',
  'GH-U010': 'the cookie is SameSite',
  'GH-U011': "the cookie's Domain",
  'GH-U012': "the cookie's Path",
  'GH-U013': 'the cookie comes back and is signed in',
  'GH-U014': 'a client-sent X-Forwarded-Proto is not believed',
  'GH-U015': 'a client-sent X-Forwarded-For is not believed',
  'GH-U016': 'the throwaway account is gone again',
  'GH-U017': 'no password on the command line',
  'GH-U018': "the passkey options' RP id is the URL's host or a parent domain of it",
} as const;

export type DoctorCode = keyof typeof DOCTOR_CODES;
