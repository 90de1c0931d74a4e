/**
 * The stack's inbox: MailDev's REST API (`GET /email`), polled with a deadline, never slept on.
 */
import { request } from '../../tools/client/http.js';
import { eventually } from './eventually.js';

export interface Mail {
  id: string;
  subject: string;
  to: { address: string; name: string }[];
  from: { address: string; name: string }[];
  text: string;
  html: string;
  date: string;
}

const POLL_MS = 100;

/** Every mail in the inbox, oldest first. */
export async function inbox(mailUrl: string): Promise<Mail[]> {
  const res = await request(mailUrl, { path: '/email', timeoutMs: 2_000 });
  if (res.status !== 200) throw new Error(`MailDev answered ${res.status}`);
  return res.json<Mail[]>().sort((a, b) => Date.parse(a.date) - Date.parse(b.date));
}

/** The mails to `address` whose subject matches, once there are at least `count` of them. */
export function waitForMails(mailUrl: string, address: string, subject: RegExp, count = 1, timeoutMs = 20_000): Promise<Mail[]> {
  return eventually(
    `${count} mail(s) "${subject.source}" to ${address}`,
    async () => {
      const mails = (await inbox(mailUrl)).filter((mail) => mail.to.some((to) => to.address === address) && subject.test(mail.subject));
      if (mails.length < count) throw new Error(`found ${mails.length}`);
      return mails;
    },
    { timeoutMs, intervalMs: POLL_MS },
  );
}

export const RESET_SUBJECT = /^Reset your Gatehouse password$/;
export const VERIFY_SUBJECT = /^Confirm your email address for Gatehouse$/;
/** Security notices (no link with anything in it): after a password change, after a reset. */
export const PASSWORD_CHANGED_SUBJECT = /^Your Gatehouse password was changed$/;
export const PASSWORD_RESET_NOTICE_SUBJECT = /^Your Gatehouse password was reset$/;
/** ...and after a change of the second factors. */
export const TOTP_ON_SUBJECT = /^Two-step sign-in was turned on for your Gatehouse account$/;
export const TOTP_OFF_SUBJECT = /^Two-step sign-in was turned off for your Gatehouse account$/;
export const RECOVERY_CODES_SUBJECT = /^New recovery codes were created for your Gatehouse account$/;

/**
 * The link `<origin><path>?token=…` in the mail's text body, checked to be the same in its HTML
 * body; returns the URL.
 */
export function linkIn(mail: Mail, origin: string, path: string): URL {
  const escaped = (origin + path).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const pattern = new RegExp(`${escaped}\\?token=[A-Za-z0-9_-]+`, 'g');
  const inText: string[] = mail.text.match(pattern) ?? [];
  const inHtml: string[] = decodeEntities(mail.html).match(pattern) ?? [];
  if (inText.length !== 1) throw new Error(`expected one ${path} link in the text of "${mail.subject}", found ${inText.length}`);
  if (!inHtml.includes(inText[0])) throw new Error(`the HTML of "${mail.subject}" lacks the text's link`);
  return new URL(inText[0]);
}

export function tokenOf(link: URL): string {
  return link.searchParams.get('token') ?? '';
}

/** What a browser reads in an attribute: Handlebars writes `=` as `&#x3D;`. */
function decodeEntities(html: string): string {
  return html
    .replace(/&#x([0-9a-f]+);/gi, (_, hex: string) => String.fromCodePoint(parseInt(hex, 16)))
    .replace(/&#(\d+);/g, (_, dec: string) => String.fromCodePoint(Number(dec)))
    .replace(/&amp;/g, '&');
}
