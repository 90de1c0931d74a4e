import { Body, Controller, Delete, Get, HttpCode, Patch, Put, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { RoutePolicy } from '../common/route-policy.js';
import { CurrentSession, type SignedIn } from '../session/current-session.js';
import { toUserJson, type UserJson } from '../users/user.entity.js';
import { ChangePasswordDto } from './dto/change-password.dto.js';
import { DeleteAccountDto } from './dto/delete-account.dto.js';
import { UpdateProfileDto } from './dto/update-profile.dto.js';
import { ProfileService } from './profile.service.js';

@Controller('api/profile')
export class ProfileController {
  constructor(private readonly profile: ProfileService) {}

  @Get()
  async get(@CurrentSession() me: SignedIn): Promise<UserJson> {
    return toUserJson(await this.profile.get(me.userId));
  }

  @Patch()
  async update(@CurrentSession() me: SignedIn, @Body() dto: UpdateProfileDto): Promise<UserJson> {
    return toUserJson(await this.profile.rename(me.userId, dto.displayName));
  }

  @Put('password')
  @RoutePolicy({ hashes: true })
  @HttpCode(204)
  async changePassword(@Req() req: Request, @Body() dto: ChangePasswordDto): Promise<void> {
    await this.profile.changePassword(req, dto.currentPassword, dto.newPassword);
  }

  /** The account and every session of it are gone; the password guards against a borrowed session. */
  @Delete()
  @RoutePolicy({ hashes: true })
  @HttpCode(204)
  async remove(@Req() req: Request, @Res({ passthrough: true }) res: Response, @Body() dto: DeleteAccountDto): Promise<void> {
    await this.profile.deleteAccount(req, res, dto.password);
  }
}
