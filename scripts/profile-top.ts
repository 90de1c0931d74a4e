/**
 * The top frames of a `node --cpu-prof` profile (npm run bench with BENCH_PROFILE=<dir>): self
 * time per function, per package or source directory and per layer of the request, as
 * quoted in docs/benchmarks.md. Run: `node dist/scripts/profile-top.js <file>`.
 */
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

const file = process.argv[2];
if (!file) throw new Error('usage: node dist/scripts/profile-top.js <file.cpuprofile> [rows]');
const rows = Number(process.argv[3] ?? 15);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));

/** Where a frame lives: `express-session`, `@nestjs/core`, `dist/src/session`, `(node)`. */
function owner(url: string): string {
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const [scope, name] = url.slice(modules + 'node_modules/'.length).split('/');
    return scope.startsWith('@') ? `${scope}/${name}` : scope;
  }
  const dist = url.indexOf('/dist/');
  if (dist >= 0)
    return url
      .slice(dist + 1)
      .split('/')
      .slice(0, 3)
      .join('/');
  return url.startsWith('node:') ? '(node)' : url === '' ? '(native)' : url;
}

/**
 * The request's layers, each named by where its code lives. A sample counts for the innermost
 * layer on its stack, so a middleware's share holds what it does itself (setHeader calls, a log
 * line) and not the rest of the chain it calls next.
 */
const LAYERS: [string, RegExp][] = [
  ['request log and middleware chains (src/common/hot-path.ts, pino)', /common\/hot-path\.js|node_modules\/(pino|pino-http|sonic-boom)\//],
  ['security headers (helmet)', /security-headers|node_modules\/helmet\//],
  ['graceful shutdown tracking', /graceful-shutdown/],
  ['body handling', /body-guard|node_modules\/(body-parser|type-is)\//],
  ['session step (session-auth.ts)', /session-auth\.js/],
  ['session store and record', /session-store\.js|session-record\.js|redis-script/],
  ['GET /api/session handler', /session\.service|session\.controller/],
  ['express-session', /node_modules\/express-session\//],
  ['connect-redis', /node_modules\/connect-redis\//],
  ['node-redis client', /node_modules\/@redis\//],
  ['guards', /guard\.js|guards-consumer|reflector/],
  ['Nest request pipeline', /node_modules\/@nestjs\//],
  ['express res.json/send', /node_modules\/express\/lib\/response/],
  ['Express routing', /node_modules\/(router|express|parseurl|finalhandler|path-to-regexp)\//],
  ['cookie parsing and signing', /node_modules\/(cookie|cookie-signature)\//],
  ['on-headers / on-finished', /node_modules\/(on-headers|on-finished)\//],
  ['passport', /node_modules\/(passport|@nestjs\/passport)\//],
];
const parentOf = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
const layers = new Map<string, number>();

const self = new Map<string, number>();
const under = new Map<string, number>();
let total = 0;
let idle = 0;
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0;
  const node = byId.get(id)!;
  const name = node.callFrame.functionName || '(anonymous)';
  if (name === '(idle)') {
    idle += dt;
    return;
  }
  total += dt;
  const where = `${name} ${owner(node.callFrame.url)}:${node.callFrame.lineNumber + 1}`;
  self.set(where, (self.get(where) ?? 0) + dt);
  let layer = name === '(garbage collector)' ? 'garbage collector' : undefined;
  for (let cur: number | undefined = id; layer === undefined && cur !== undefined; cur = parentOf.get(cur)) {
    const url = byId.get(cur)!.callFrame.url;
    layer = LAYERS.find(([, pattern]) => pattern.test(url))?.[0];
  }
  layer ??= '(Node: HTTP, sockets, timers, startup)';
  layers.set(layer, (layers.get(layer) ?? 0) + dt);
  // Self time per owner: a middleware's frames hold its own work, not the rest of the chain it calls.
  const pkg = owner(node.callFrame.url);
  under.set(pkg, (under.get(pkg) ?? 0) + dt);
});

const pct = (t: number) => `${((100 * t) / total).toFixed(1).padStart(5)} %`;
console.log(`busy ${(total / 1e6).toFixed(1)} s, idle ${(idle / 1e6).toFixed(1)} s`);
console.log('\nself time:');
for (const [where, t] of [...self].sort((a, b) => b[1] - a[1]).slice(0, rows)) console.log(`${pct(t)}  ${where}`);
console.log('\nself time per package or directory:');
for (const [pkg, t] of [...under].sort((a, b) => b[1] - a[1]).slice(0, rows)) console.log(`${pct(t)}  ${pkg}`);
console.log('\nper layer of the request (innermost layer on the stack):');
for (const [layer, t] of [...layers].sort((a, b) => b[1] - a[1])) console.log(`${pct(t)}  ${layer}`);
