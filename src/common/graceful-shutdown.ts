import type { Server, ServerResponse } from 'node:http';
import { type BeforeApplicationShutdown, Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { NextFunction, Request, Response } from 'express';

/** After SIGTERM, how long requests in flight get to finish before their connections are cut. */
export const DRAIN_TIMEOUT_MS = 3_000;
/**
 * The last resort (main.ts): whatever still holds the process this long after SIGTERM (a frozen
 * Postgres that never lets its pool close) is cut short, inside the 5 s the platform allows.
 */
export const SHUTDOWN_DEADLINE_MS = 4_500;

/**
 * The HTTP side of a graceful shutdown. On SIGTERM, Nest closes the HTTP server (no new
 * connections; Node also closes idle keep-alive connections at once), waits for it, and only then
 * closes Redis and Postgres (onApplicationShutdown), so requests in flight finish with their
 * dependencies still there. What Nest and Node leave out, this adds:
 *
 * - Every response from now on says `Connection: close`. nginx keeps idle connections to the app
 *   (upstream keepalive); without this, a connection that carried a request in flight would stay
 *   open after its response until the app's keep-alive timeout (5 s, too late), and nginx could
 *   send the next request on it just as it closes: a GET would be retried on another instance,
 *   a POST would not (proxy_next_upstream) and fail.
 * - A request still unfinished after DRAIN_TIMEOUT_MS (a client that never sends the rest of its
 *   body) has its connection cut, so one slow client cannot keep the process past its deadline.
 *
 * Not Nest's `forceCloseConnections`: it destroys every connection at once, requests in flight
 * included.
 */
@Injectable()
export class GracefulShutdown implements BeforeApplicationShutdown {
  private draining = false;
  private readonly inFlight = new Set<ServerResponse>();

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  /** Express middleware, first in the chain (configureApp): knows which responses are pending. */
  readonly track = (_req: Request, res: Response, next: NextFunction): void => {
    if (this.draining) {
      res.setHeader('Connection', 'close');
    } else {
      this.inFlight.add(res);
      res.once('close', () => this.inFlight.delete(res));
    }
    next();
  };

  /** Nest calls this on SIGTERM, before it closes the HTTP server. */
  beforeApplicationShutdown(): void {
    this.draining = true;
    for (const res of this.inFlight) {
      if (!res.headersSent) res.setHeader('Connection', 'close');
    }
    const server = this.adapterHost.httpAdapter.getHttpServer() as Server;
    setTimeout(() => server.closeAllConnections(), DRAIN_TIMEOUT_MS).unref();
  }
}
