import { ConsoleLogger, type LogLevel } from '@nestjs/common';

const NEST_LEVELS: Record<string, LogLevel[]> = {
  trace: ['verbose', 'debug', 'log', 'warn', 'error', 'fatal'],
  debug: ['debug', 'log', 'warn', 'error', 'fatal'],
  info: ['log', 'warn', 'error', 'fatal'],
  warn: ['warn', 'error', 'fatal'],
  error: ['error', 'fatal'],
  fatal: ['fatal'],
  silent: [],
};

/** The application logger: Nest's own, one JSON object per line, at LOG_LEVEL. */
export function createAppLogger(level: string): ConsoleLogger {
  return new ConsoleLogger({ json: true, logLevels: NEST_LEVELS[level] });
}
