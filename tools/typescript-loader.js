/**
 * A Node module loader for the tier's globalSetup (global-setup.js): jest compiles the setup file
 * itself but hands what it imports to Node, which cannot read TypeScript. This compiles the
 * harness's .ts files as Node imports them (TypeScript's own transpiler, the project's compiler
 * options, no type checking: `npm run typecheck` does that) and maps their `./x.js` imports to
 * the `./x.ts` sources, as tsc's output would have them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath, URL } from 'node:url';
import ts from 'typescript';

const configFile = fileURLToPath(new URL('../tsconfig.json', import.meta.url));
const { options } = ts.parseJsonConfigFileContent(
  ts.readConfigFile(configFile, ts.sys.readFile).config,
  ts.sys,
  fileURLToPath(new URL('..', import.meta.url)),
);
// Every file is an ES module here ("type": "module"); transpileModule cannot look that up itself.
const compilerOptions = { ...options, module: ts.ModuleKind.ESNext, sourceMap: false, inlineSourceMap: true };

export async function resolve(specifier, context, nextResolve) {
  if (context.parentURL?.endsWith('.ts') && specifier.startsWith('.') && specifier.endsWith('.js')) {
    const source = new URL(`${specifier.slice(0, -'.js'.length)}.ts`, context.parentURL);
    if (existsSync(source)) return { url: source.href, shortCircuit: true };
  }
  return nextResolve(specifier, context);
}

export async function load(url, context, nextLoad) {
  if (!url.endsWith('.ts')) return nextLoad(url, context);
  const fileName = fileURLToPath(url);
  const { outputText } = ts.transpileModule(readFileSync(fileName, 'utf8'), { compilerOptions, fileName });
  return { format: 'module', source: outputText, shortCircuit: true };
}
