import { BadRequestException, Body, Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { Public } from '../common/public.decorator.js';
import { RoutePolicy } from '../common/route-policy.js';
import { CodeDto } from '../two-step/dto/code.dto.js';
import { toUserJson, type UserJson } from '../users/user.entity.js';
import { AuthService, type SecondFactorMethod } from './auth.service.js';
import { LoginDto } from './dto/login.dto.js';
import { ReauthenticateDto } from './dto/reauthenticate.dto.js';
import { RegisterDto } from './dto/register.dto.js';

/** The 202 of a password sign-in that needs its second step. */
export interface SecondFactorRequired {
  secondFactorRequired: true;
  methods: SecondFactorMethod[];
}

@Controller('api/auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Public()
  @Post('register')
  @RoutePolicy({ hashes: true, mails: true })
  async register(@Body() dto: RegisterDto, @Req() req: Request): Promise<UserJson> {
    return toUserJson(await this.auth.register(dto, req));
  }

  /** 200 and the user; or, with two-step sign-in on, 202 and a pending sign-in (README, Two-step sign-in). */
  @Public()
  @Post('login')
  @RoutePolicy({ hashes: true })
  @HttpCode(200)
  async login(
    @Body() dto: LoginDto,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<UserJson | SecondFactorRequired> {
    const outcome = await this.auth.signIn(req, dto.email, dto.password, dto.rememberMe ?? false);
    if (outcome.kind === 'signed-in') return toUserJson(outcome.user);
    res.status(202);
    return { secondFactorRequired: true, methods: outcome.methods };
  }

  @Public()
  @Post('login/totp')
  @RoutePolicy({ codes: true })
  @HttpCode(200)
  async loginTotp(@Body() dto: CodeDto, @Req() req: Request): Promise<UserJson> {
    return toUserJson(await this.auth.completeSignIn(req, 'totp', dto.code));
  }

  @Public()
  @Post('login/recovery-code')
  @RoutePolicy({ codes: true })
  @HttpCode(200)
  async loginRecoveryCode(@Body() dto: CodeDto, @Req() req: Request): Promise<UserJson> {
    return toUserJson(await this.auth.completeSignIn(req, 'recoveryCode', dto.code));
  }

  @Post('reauthenticate')
  @RoutePolicy({ hashes: true, codes: true })
  @HttpCode(204)
  async reauthenticate(@Body() dto: ReauthenticateDto, @Req() req: Request): Promise<void> {
    if (dto.password !== undefined && dto.code !== undefined) throw new BadRequestException('Give either password or code, not both');
    await this.auth.reauthenticate(req, dto.code !== undefined ? { code: dto.code } : { password: dto.password! });
  }

  @Public()
  @Post('logout')
  @HttpCode(204)
  async logout(@Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<void> {
    await this.auth.logout(req, res);
  }
}
