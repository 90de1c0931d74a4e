import { BadRequestException, Body, Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import type { PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import type { Request, Response } from 'express';
import { Public } from '../common/public.decorator.js';
import { RoutePolicy } from '../common/route-policy.js';
import { PasskeyAssertionDto } from '../passkeys/dto/passkey-response.dto.js';
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

  /** Options for a passkey sign-in (docs/passkeys.md): discoverable, or the pending user's passkeys. */
  @Public()
  @Post('passkey/options')
  @RoutePolicy({ challenges: true })
  @HttpCode(200)
  passkeyOptions(@Req() req: Request): Promise<PublicKeyCredentialRequestOptionsJSON> {
    return this.auth.passkeyOptions(req);
  }

  /** 200 and the user, signed in with a passkey; during a pending sign-in, its second step. */
  @Public()
  @Post('passkey')
  @RoutePolicy({ codes: true })
  @HttpCode(200)
  async loginPasskey(@Body() dto: PasskeyAssertionDto, @Req() req: Request): Promise<UserJson> {
    return toUserJson(await this.auth.signInWithPasskey(req, dto.response));
  }

  @Post('reauthenticate')
  @RoutePolicy({ hashes: true, codes: true })
  @HttpCode(204)
  async reauthenticate(@Body() dto: ReauthenticateDto, @Req() req: Request): Promise<void> {
    const { password, code, passkey } = dto;
    if ([password, code, passkey].filter((proof) => proof !== undefined).length !== 1) {
      throw new BadRequestException('Give one of password, code or passkey');
    }
    await this.auth.reauthenticate(req, passkey ? { passkey } : code !== undefined ? { code } : { password: password! });
  }

  /** Options for re-authenticating with one of the user's passkeys; 404 when there is none. */
  @Post('reauthenticate/options')
  @HttpCode(200)
  reauthenticationOptions(@Req() req: Request): Promise<PublicKeyCredentialRequestOptionsJSON> {
    return this.auth.reauthenticationOptions(req);
  }

  @Public()
  @Post('logout')
  @HttpCode(204)
  async logout(@Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<void> {
    await this.auth.logout(req, res);
  }
}
