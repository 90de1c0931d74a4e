import { Controller, Delete, Get, HttpCode, NotFoundException, Param, Req } from '@nestjs/common';
import type { Request } from 'express';
import { type CurrentSessionView, type SessionListItem, SessionService } from './session.service.js';

@Controller('api')
export class SessionController {
  constructor(private readonly sessions: SessionService) {}

  @Get('session')
  current(@Req() req: Request): CurrentSessionView {
    // The guard let the request in, so its session is signed in and has its clock.
    return this.sessions.describe(req.sessionID, req.session.clock!);
  }

  @Get('sessions')
  list(@Req() req: Request): Promise<SessionListItem[]> {
    return this.sessions.list(req.user!.id, req.sessionID);
  }

  @Delete('sessions/:id')
  @HttpCode(204)
  async revoke(@Req() req: Request, @Param('id') id: string): Promise<void> {
    if (!(await this.sessions.revoke(req.user!.id, id))) throw new NotFoundException('Session not found');
  }

  @Delete('sessions')
  @HttpCode(204)
  async revokeOthers(@Req() req: Request): Promise<void> {
    await this.sessions.revokeOthers(req.user!.id, req.sessionID);
  }
}
