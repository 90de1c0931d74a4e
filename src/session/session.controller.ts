import { Controller, Delete, Get, HttpCode, NotFoundException, Param, Req } from '@nestjs/common';
import type { Request } from 'express';
import { CurrentSession, type SignedIn } from './current-session.js';
import { eventOrigin } from './event-origin.js';
import { RequiresSudo } from './sudo.js';
import { type CurrentSessionView, SessionLifecycle } from './session-lifecycle.js';
import { type SessionListItem, UserSessions } from './user-sessions.js';

@Controller('api')
export class SessionController {
  constructor(
    private readonly lifecycle: SessionLifecycle,
    private readonly sessions: UserSessions,
  ) {}

  @Get('session')
  current(@CurrentSession() me: SignedIn): CurrentSessionView {
    return this.lifecycle.describe(me);
  }

  @Get('sessions')
  list(@CurrentSession() me: SignedIn): Promise<SessionListItem[]> {
    return this.sessions.list(me.userId, me.sessionId);
  }

  @Delete('sessions/:id')
  @RequiresSudo()
  @HttpCode(204)
  async revoke(@Req() req: Request, @CurrentSession() me: SignedIn, @Param('id') id: string): Promise<void> {
    if (!(await this.sessions.revoke(me.userId, id, eventOrigin(req)))) throw new NotFoundException('Session not found');
  }

  @Delete('sessions')
  @RequiresSudo()
  @HttpCode(204)
  async revokeOthers(@Req() req: Request, @CurrentSession() me: SignedIn): Promise<void> {
    await this.sessions.signOutOthers(me.userId, me.sessionId, eventOrigin(req));
  }
}
