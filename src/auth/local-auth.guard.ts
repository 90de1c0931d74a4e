import { type ExecutionContext, Injectable } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import type { Request } from 'express';
import { createValidationPipe } from '../common/validation.js';
import { LoginDto } from './dto/login.dto.js';

/**
 * Runs passport-local on the login body. Guards run before pipes, so the body is validated here
 * first: a malformed body is a 400, not a failed login. The session itself is started by the
 * controller (AuthService.login), which knows about remember-me.
 */
@Injectable()
export class LocalAuthGuard extends AuthGuard('local') {
  private readonly validation = createValidationPipe();

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<Request>();
    req.body = await this.validation.transform(req.body, { type: 'body', metatype: LoginDto });
    return (await super.canActivate(context)) as boolean;
  }
}
