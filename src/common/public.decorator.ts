import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'isPublic';

/** Opts a route out of the global SessionGuard: every route needs a session unless it says so. */
export const Public = () => SetMetadata(IS_PUBLIC, true);
