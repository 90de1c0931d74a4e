import type { Request } from 'express';
import type { EventOrigin } from '../activity/security-event.js';
import { deviceName } from '../common/device-name.js';
import { sessionHandle } from './user-sessions.js';
import './session.types.js';

/**
 * Where a request's security event comes from (activity/security-event.ts): its client address,
 * its device's name, and, when it is signed in, its session's handle (sessionHandleOf).
 */
export function eventOrigin(req: Request): EventOrigin {
  return { ip: req.ip, device: deviceName(req.get('user-agent')), session: sessionHandleOf(req) };
}

/**
 * The public handle the activity log names this request's session by: the one of the id the
 * session signed in on, kept as the id changes (SessionLifecycle), so that every event of one
 * session carries the same; a session signed in before handles were kept is named by its id's.
 * Undefined when the request is not signed in.
 */
export function sessionHandleOf(req: Request): string | undefined {
  const state = req.sessionState;
  if (state?.kind === 'signed-in') return req.session.handle ?? sessionHandle(state.sessionId);
  // Signed in by this very request (the session step saw none): the new session's.
  return req.session?.handle;
}
