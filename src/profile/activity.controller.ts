import { Controller, Get, Query, Req } from '@nestjs/common';
import type { Request } from 'express';
import type { SecurityEventType } from '../activity/security-event.js';
import { SecurityEvents } from '../activity/security-events.js';
import { CurrentSession, type SignedIn } from '../session/current-session.js';
import { sessionHandleOf } from '../session/event-origin.js';

/** An event as GET /api/profile/activity shows it (SPEC section 8). */
export interface ActivityEventJson {
  type: SecurityEventType;
  at: string;
  ip: string | null;
  device: string | null;
  /** Made by the session that asks. */
  current: boolean;
}

/** The signed-in user's security activity log (docs/activity.md). */
@Controller('api/profile')
export class ActivityController {
  constructor(private readonly events: SecurityEvents) {}

  /** Newest first, 50 a page; `next` is the `before` of the next page, null after the last; 400 for a cursor it never gave. */
  @Get('activity')
  async list(
    @Req() req: Request,
    @CurrentSession() me: SignedIn,
    @Query('before') before?: unknown,
  ): Promise<{ events: ActivityEventJson[]; next: string | null }> {
    const { entries, next } = await this.events.page(me.userId, before, sessionHandleOf(req));
    return { events: entries.map(({ type, at, ip, device, current }) => ({ type, at: at.toISOString(), ip, device, current })), next };
  }
}
