import { Module } from '@nestjs/common';
import { PasswordService } from './password.service.js';

/** Password hashing and the length policy: one PasswordService (one set of hashing threads) for the app. */
@Module({
  providers: [PasswordService],
  exports: [PasswordService],
})
export class PasswordsModule {}
