import 'reflect-metadata';
import { createApp } from './app.setup.js';
import { parseConfig } from './config/config.schema.js';

const result = parseConfig(process.env);
if (!result.ok) {
  // One line per problem, naming the variable and never its value; nothing listens.
  for (const problem of result.problems) process.stderr.write(`Invalid configuration: ${problem}\n`);
  process.exit(1);
}

const app = await createApp(result.config);
await app.listen(result.config.port, result.config.host);
