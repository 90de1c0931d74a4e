/*
 * The passkey buttons (docs/passkeys.md): "Sign in with a passkey" and the browser's passkey
 * autofill on the login page, "Use a passkey" for the second step of a sign-in and on the
 * re-authentication page, and "Add a passkey" on /security. This is the one script of the pages,
 * loaded from this origin by those pages only (`{{usePasskeys}}`: the CSP allows no inline script).
 *
 * Each button sits in an element `data-passkey="sign-in|reauthenticate|register"` that the page
 * renders `hidden`: this script shows it when the browser can use passkeys. Without script, or
 * without WebAuthn, there is no button that does nothing, and the rest of the page works as is.
 * What goes wrong is said in the element's `.passkey-error` (the API's own message, or what the
 * browser refused), never dropped.
 *
 * The fetches carry no form token: the JSON API refuses cross-site requests by their Origin
 * header, which the browser sets on every fetch (src/common/same-origin.guard.ts).
 */

// @simplewebauthn/browser's one-file build, served from the installed package
// (src/pages/views.ts). It is a UMD bundle rather than an ES module: evaluated as an import, it
// defines globalThis.SimpleWebAuthnBrowser, before this module's body runs.
import './simplewebauthn/index.umd.min.js';

const { browserSupportsWebAuthn, browserSupportsWebAuthnAutofill, startAuthentication, startRegistration } =
  globalThis.SimpleWebAuthnBrowser;

/** What the API answers outside sudo mode (SPEC section 7): the browser goes to /reauthenticate and back. */
const REAUTHENTICATION_REQUIRED = 'Re-authentication required';
/** How long a challenge lasts when the options do not say (SPEC section 7: at most five minutes). */
const CHALLENGE_MS = 5 * 60_000;
/** A pending sign-in that expired or ended: the password is asked again, as the code form does. */
const NO_SIGN_IN_IN_PROGRESS = 'No sign-in in progress';

/** A refusal of the JSON API: its status and its `message`. */
class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function post(path, body = {}) {
  const response = await fetch(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify(body),
  });
  if (response.ok) return response.status === 204 ? undefined : response.json();
  const refusal = await response.json().catch(() => undefined);
  throw new ApiError(response.status, refusal?.message ? [refusal.message].flat().join(' ') : `The server answered ${response.status}`);
}

/** A path on this site to go to, or `fallback`: a data attribute never sends the browser elsewhere. */
function localPath(next, fallback) {
  if (!next) return fallback;
  const url = new URL(next, location.origin);
  return url.origin === location.origin ? url.pathname + url.search : fallback;
}

/** The person, or the browser, ended the ceremony: no passkey came back. */
function cancelled(error) {
  return error?.name === 'NotAllowedError';
}

/** The request was aborted by a newer one of this page (the button after the autofill's). */
function superseded(error) {
  return error?.code === 'ERROR_CEREMONY_ABORTED';
}

function messageOf(error) {
  if (error instanceof ApiError) return error.message;
  if (cancelled(error)) return 'No passkey was used: the request was cancelled or timed out.';
  return error?.message || String(error);
}

/** One `data-passkey` element: its button, its message line, and what a click does. */
function widget(element, ceremony) {
  const button = element.querySelector('button');
  const message = element.querySelector('.passkey-error');
  const say = (text) => {
    message.textContent = text;
    message.hidden = !text;
  };
  button.addEventListener('click', async () => {
    button.disabled = true;
    say('');
    try {
      await ceremony();
    } catch (error) {
      if (!superseded(error)) say(messageOf(error));
    } finally {
      button.disabled = false;
    }
  });
  element.hidden = false;
  return { say };
}

/**
 * Signing in: a discoverable passkey on the login page, or, during a pending sign-in (the second
 * step), one of that user's passkeys; the API knows which from the session.
 */
async function signIn(optionsJSON, useBrowserAutofill) {
  const response = await startAuthentication({ optionsJSON, useBrowserAutofill });
  try {
    await post('/api/auth/passkey', { response });
  } catch (error) {
    if (error instanceof ApiError && error.status === 401 && error.message === NO_SIGN_IN_IN_PROGRESS) {
      location.assign('/login?notice=sign-in-ended');
      return new Promise(() => {}); // leaving the page
    }
    throw error;
  }
  location.assign('/profile');
}

/**
 * The browser's passkey autofill (conditional mediation): the email field offers this site's
 * passkeys next to saved addresses, and picking one signs in as the button does. The request
 * waits for that, so it is made anew before its challenge expires (the options' `timeout`), and
 * after a click on the button, whose own request aborted it, did not sign in.
 */
function autofill(say) {
  let renewal;
  const stop = () => clearTimeout(renewal);
  const start = async () => {
    stop();
    try {
      const optionsJSON = await post('/api/auth/passkey/options');
      renewal = setTimeout(start, Math.max((optionsJSON.timeout ?? CHALLENGE_MS) - 15_000, 60_000));
      await signIn(optionsJSON, true);
    } catch (error) {
      // Replaced by a newer request: the renewal's (which set its own timer) or the button's.
      if (superseded(error)) return;
      stop();
      say(messageOf(error));
    }
  };
  return { start, stop };
}

/** Re-authenticating (sudo mode) with one of the user's own passkeys, then back to `next`. */
async function reauthenticate(next) {
  const optionsJSON = await post('/api/auth/reauthenticate/options');
  const passkey = await startAuthentication({ optionsJSON });
  await post('/api/auth/reauthenticate', { passkey });
  location.assign(next);
}

/** Adding a passkey (sudo mode): out of it, the browser re-authenticates and comes back here. */
async function register() {
  try {
    const optionsJSON = await post('/api/profile/passkeys/options');
    const response = await startRegistration({ optionsJSON });
    await post('/api/profile/passkeys', { response });
  } catch (error) {
    if (error instanceof ApiError && error.status === 403 && error.message === REAUTHENTICATION_REQUIRED) {
      location.assign(`/reauthenticate?next=${encodeURIComponent(location.pathname)}`);
      return new Promise(() => {}); // leaving the page
    }
    throw error;
  }
  location.assign('/security?notice=passkey-added');
}

if (browserSupportsWebAuthn()) {
  for (const element of document.querySelectorAll('[data-passkey="register"]')) widget(element, register);
  for (const element of document.querySelectorAll('[data-passkey="reauthenticate"]')) {
    const next = localPath(element.dataset.next, '/profile');
    widget(element, () => reauthenticate(next));
  }
  const signInElement = document.querySelector('[data-passkey="sign-in"]');
  if (signInElement) {
    // Only the login page's email field asks for autofill (autocomplete="username webauthn").
    const field = document.querySelector('input[autocomplete$="webauthn"]');
    const suggestions = field && (await browserSupportsWebAuthnAutofill()) ? autofill((text) => sign.say(text)) : undefined;
    const sign = widget(signInElement, async () => {
      suggestions?.stop();
      try {
        await signIn(await post('/api/auth/passkey/options'), false);
      } catch (error) {
        suggestions?.start();
        throw error;
      }
    });
    suggestions?.start();
  }
  for (const element of document.querySelectorAll('[data-passkey-unsupported]')) element.hidden = true;
}
