import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Req } from '@nestjs/common';
import type { PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/server';
import type { Request } from 'express';
import { RoutePolicy } from '../common/route-policy.js';
import { CurrentSession, type SignedIn } from '../session/current-session.js';
import { eventOrigin } from '../session/event-origin.js';
import { NotAuthenticatedException } from '../session/session.exceptions.js';
import { RequiresSudo } from '../session/sudo.js';
import { UsersService } from '../users/users.service.js';
import { AddPasskeyDto, RenamePasskeyDto } from './dto/passkey-response.dto.js';
import { type PasskeyJson, PasskeysService } from './passkeys.service.js';

/** The signed-in user's passkeys (docs/passkeys.md): adding, renaming and removing need sudo mode. */
@Controller('api/profile/passkeys')
export class PasskeysController {
  constructor(
    private readonly passkeys: PasskeysService,
    private readonly users: UsersService,
  ) {}

  @Get()
  list(@CurrentSession() me: SignedIn): Promise<PasskeyJson[]> {
    return this.passkeys.list(me.userId);
  }

  @Post('options')
  @RequiresSudo()
  @HttpCode(200)
  async options(@CurrentSession() me: SignedIn): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const user = await this.users.findById(me.userId);
    if (!user) throw new NotAuthenticatedException();
    return this.passkeys.registrationOptions(user);
  }

  @Post()
  @RequiresSudo()
  @RoutePolicy({ codes: true })
  add(@Req() req: Request, @CurrentSession() me: SignedIn, @Body() dto: AddPasskeyDto): Promise<PasskeyJson> {
    return this.passkeys.register(req, me.userId, dto.response, eventOrigin(req), dto.name);
  }

  @Patch(':id')
  @RequiresSudo()
  rename(@CurrentSession() me: SignedIn, @Param('id') id: string, @Body() dto: RenamePasskeyDto): Promise<PasskeyJson> {
    return this.passkeys.rename(me.userId, id, dto.name);
  }

  @Delete(':id')
  @RequiresSudo()
  @HttpCode(204)
  async remove(@Req() req: Request, @CurrentSession() me: SignedIn, @Param('id') id: string): Promise<void> {
    await this.passkeys.remove(me.userId, id, eventOrigin(req));
  }
}
