import { Module } from '@nestjs/common';
import { MailQueue } from './mail-queue.js';
import { MailThrottle } from './mail-throttle.js';
import { Mailer } from './mailer.js';

/** Mail: the SMTP sender, the durable queue in front of it, and the limits on asking for mail. */
@Module({
  providers: [Mailer, MailQueue, MailThrottle],
  exports: [Mailer, MailQueue, MailThrottle],
})
export class MailModule {}
