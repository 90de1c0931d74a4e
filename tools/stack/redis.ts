/** The stack's Redis: no persistence, loopback only; can be frozen to play a hung server. */
import { mkdir } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { type Processes, waitReady } from './proc.js';

export interface Redis {
  url: string;
  /** Freeze (SIGSTOP): connections stay open but nothing answers. */
  pause(): void;
  resume(): void;
  shutDown(): Promise<void>;
}

export async function startRedis(procs: Processes, dir: string, redisServer: string, port: number): Promise<Redis> {
  const redisDir = path.join(dir, 'redis');
  await mkdir(redisDir);
  // Command-line flags next to their values, as hand-formatted:
  // prettier-ignore
  const proc = procs.launch('redis', redisServer, [
    '--port', String(port), '--bind', '127.0.0.1',
    // No persistence: sessions of a throwaway stack die with it.
    '--save', '', '--appendonly', 'no', '--dir', redisDir,
  ]);
  await waitReady(proc, () => redisPing(port));
  let paused = false;
  return {
    url: `redis://127.0.0.1:${port}`,
    pause: () => {
      proc.signal('SIGSTOP');
      paused = true;
    },
    resume: () => {
      proc.signal('SIGCONT');
      paused = false;
    },
    shutDown: async () => {
      if (paused) proc.signal('SIGCONT');
      await proc.stop('SIGTERM');
    },
  };
}

/** Redis readiness over raw RESP: one PING, expect +PONG. */
function redisPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => {
      reply += data.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}
