import 'reflect-metadata';
import { createApp } from './app.setup.js';
import { SHUTDOWN_DEADLINE_MS } from './common/graceful-shutdown.js';
import { parseConfig } from './config/config.schema.js';

const result = parseConfig(process.env);
if (!result.ok) {
  // One line per problem, naming the variable and never its value; nothing listens.
  for (const problem of result.problems) process.stderr.write(`Invalid configuration: ${problem}\n`);
  process.exit(1);
}

const app = await createApp(result.config);
await app.listen(result.config.port, result.config.host);

// Nest shuts the app down on these signals (configureApp). Should a dependency never let go,
// exit anyway before the platform's patience runs out, and say it was not clean.
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => setTimeout(() => process.exit(1), SHUTDOWN_DEADLINE_MS).unref());
}
