import { Module } from '@nestjs/common';
import { SessionController } from './session.controller.js';
import { SessionMiddleware } from './session.middleware.js';
import { SessionSerializer } from './session.serializer.js';
import { SessionService } from './session.service.js';

@Module({
  controllers: [SessionController],
  providers: [SessionService, SessionMiddleware, SessionSerializer],
  exports: [SessionService, SessionMiddleware],
})
export class SessionModule {}
