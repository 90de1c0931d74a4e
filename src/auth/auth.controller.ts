import { Body, Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { Public } from '../common/public.decorator.js';
import { RoutePolicy } from '../common/route-policy.js';
import { toUserJson, type UserJson } from '../users/user.entity.js';
import { AuthService } from './auth.service.js';
import { LoginDto } from './dto/login.dto.js';
import { ReauthenticateDto } from './dto/reauthenticate.dto.js';
import { RegisterDto } from './dto/register.dto.js';

@Controller('api/auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Public()
  @Post('register')
  @RoutePolicy({ hashes: true, mails: true })
  async register(@Body() dto: RegisterDto, @Req() req: Request): Promise<UserJson> {
    return toUserJson(await this.auth.register(dto, req));
  }

  @Public()
  @Post('login')
  @RoutePolicy({ hashes: true })
  @HttpCode(200)
  async login(@Body() dto: LoginDto, @Req() req: Request): Promise<UserJson> {
    return toUserJson(await this.auth.signIn(req, dto.email, dto.password, dto.rememberMe ?? false));
  }

  @Post('reauthenticate')
  @RoutePolicy({ hashes: true })
  @HttpCode(204)
  async reauthenticate(@Body() dto: ReauthenticateDto, @Req() req: Request): Promise<void> {
    await this.auth.reauthenticate(req, dto.password);
  }

  @Public()
  @Post('logout')
  @HttpCode(204)
  async logout(@Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<void> {
    await this.auth.logout(req, res);
  }
}
