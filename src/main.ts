/**
 * The entry point. It only sizes libuv's thread pool, which is created on first use with the size
 * then in the environment, and must be set before any module of the app can touch it: argon2
 * hashes on it, and so do DNS lookups and file reads. Password hashes get threads of their own
 * (HashingPool), on top of libuv's default four, so a login storm never delays a DNS lookup.
 */
import { hashingThreads, LIBUV_DEFAULT_THREADS } from './auth/hashing-pool.js';

process.env.UV_THREADPOOL_SIZE ??= String(hashingThreads() + LIBUV_DEFAULT_THREADS);
await import('./server.js');
