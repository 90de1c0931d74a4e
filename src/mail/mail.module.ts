import { Module } from '@nestjs/common';
import { MailQueue } from './mail-queue.js';
import { MailThrottle } from './mail-throttle.js';
import { Mailer } from './mailer.js';
import { SecurityNotices } from './security-notices.js';

/** Mail: the SMTP sender, the durable queue in front of it, and the limits on asking for mail. */
@Module({
  providers: [Mailer, MailQueue, MailThrottle, SecurityNotices],
  exports: [Mailer, MailQueue, MailThrottle, SecurityNotices],
})
export class MailModule {}
