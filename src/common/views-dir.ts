import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * <package root>/src/views: the page and mail templates, partials and the stylesheet. They are not TypeScript, so
 * tsc does not copy them into dist/; walking up to package.json finds the one copy both from
 * src/common (jest, ts) and from dist/src/common (node). A Docker image must hold src/views next to
 * its package.json.
 */
export const VIEWS_DIR = path.join(packageRoot(), 'src', 'views');

function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('src/views: no package.json above this module');
    dir = parent;
  }
  return dir;
}
