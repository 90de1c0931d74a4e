import type { Request } from 'express';
import type { EventOrigin } from '../activity/security-event.js';
import { deviceName } from '../common/device-name.js';
import { sessionHandle } from './user-sessions.js';
import './session.types.js';

/**
 * Where a request's security event comes from (activity/security-event.ts): its client address,
 * its device's name, and, when it is signed in, its session's public handle. That handle is the
 * one of the id the session signed in on, kept as the id changes (SessionLifecycle), so that every
 * event of one session carries the same; a session signed in before handles were kept is named by
 * its id's.
 */
export function eventOrigin(req: Request): EventOrigin {
  const state = req.sessionState;
  const signedIn = state?.kind === 'signed-in' ? (req.session.handle ?? sessionHandle(state.sessionId)) : undefined;
  return {
    ip: req.ip,
    device: deviceName(req.get('user-agent')),
    // Just signed in by this request (the session step saw none): the new session's.
    session: signedIn ?? req.session?.handle,
  };
}
