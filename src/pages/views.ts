import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { ConfigService } from '@nestjs/config';
import type { NestExpressApplication } from '@nestjs/platform-express';
import hbs from 'hbs';
import { VIEWS_DIR } from '../common/views-dir.js';
import type { AppConfig } from '../config/config.schema.js';
import { formatDuration } from '../config/duration.js';
import { PASSKEY_NAME_MAX } from '../passkeys/passkey-name.js';

/**
 * The folder of @simplewebauthn/browser's one-file build (UMD), which the passkey pages' script
 * (static/passkeys.js) imports as /static/simplewebauthn/index.umd.min.js. Served from the
 * installed package rather than copied: nothing to build or keep in step, and the package is a
 * production dependency, so the image's node_modules has it. The package exports its entry
 * points only (script/index.js for require); dist/ is next to script/.
 */
export const WEBAUTHN_BROWSER_DIR = path.join(
  path.dirname(createRequire(import.meta.url).resolve('@simplewebauthn/browser')),
  '..',
  'dist',
  'bundle',
);

/** Handlebars (hbs) as Express's view engine, with layout.hbs around every page. */
export function configureViews(app: NestExpressApplication, config: ConfigService<AppConfig, true>): void {
  // Served ahead of the session pipeline (see configureApp): a stylesheet or a script needs no Redis lookup.
  app.useStaticAssets(path.join(VIEWS_DIR, 'static'), { prefix: '/static/', index: false, redirect: false });
  app.useStaticAssets(WEBAUTHN_BROWSER_DIR, { prefix: '/static/simplewebauthn/', index: false, redirect: false });

  const partials = path.join(VIEWS_DIR, 'partials');
  // Read synchronously at start: hbs.registerPartials is asynchronous and could lose a race
  // with the first request.
  for (const file of readdirSync(partials).filter((name) => name.endsWith('.hbs'))) {
    hbs.registerPartial(path.basename(file, '.hbs'), readFileSync(path.join(partials, file), 'utf8'));
  }
  // `{{setTitle "Sign in"}}` in a page sets the layout's <title>: hbs renders the page first,
  // then the layout with the same locals object (Handlebars' @root).
  hbs.registerHelper('setTitle', (title: string, options: { data: { root: Record<string, unknown> } }) => {
    options.data.root.pageTitle = title;
  });

  // `{{usePasskeys}}` in a page loads the passkey script (static/passkeys.js) from the layout's
  // <head>: only the pages with a passkey button carry a script at all.
  hbs.registerHelper('usePasskeys', (options: { data: { root: Record<string, unknown> } }) => {
    options.data.root.passkeyScript = true;
  });

  app.engine('hbs', hbs.__express);
  app.setBaseViewsDir(VIEWS_DIR);
  app.setViewEngine('hbs');
  // Configuration the templates show, in app.locals (merged into every render).
  app.setLocal('passwordHint', `At least ${config.get('passwordMinLength', { infer: true })} characters`);
  app.setLocal('passkeyNameMax', PASSKEY_NAME_MAX);
  app.setLocal('rememberFor', formatDuration(config.get('session', { infer: true }).rememberTimeoutMs));
}
