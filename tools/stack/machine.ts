/** What the stack harness needs from this machine: binaries, a temp dir, system users, free ports. */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { chmod, mkdtemp } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export function findRepoRoot(): string {
  // This file runs as tools/stack/*.ts (jest) or dist/tools/stack/*.js (CLI): walk up.
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'nginx/templates/default.conf.template'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('cannot find the repository root (nginx/templates/default.conf.template)');
    dir = parent;
  }
  return dir;
}

export interface Binaries {
  pgBin: string;
  redis: string;
  nginx: string;
  openssl: string;
}

export function findBinaries(needed: (keyof Binaries)[] = ['pgBin', 'redis', 'nginx', 'openssl']): Binaries {
  const onPath = (name: string, extraDirs: string[] = []): string | undefined => {
    const dirs = [...(process.env.PATH ?? '').split(path.delimiter), ...extraDirs].filter(Boolean);
    return dirs.map((dir) => path.join(dir, name)).find((file) => existsSync(file));
  };
  const sbin = ['/usr/sbin', '/usr/local/sbin']; // nginx lives here on Debian, often off a user's PATH
  const found: Partial<Binaries> = {
    pgBin: findPgBin(),
    redis: onPath('redis-server', sbin),
    nginx: onPath('nginx', sbin),
    openssl: onPath('openssl'),
  };
  const missing = needed.filter((name) => !found[name]);
  if (missing.length > 0) {
    const names = missing.map((name) => (name === 'pgBin' ? 'postgresql (initdb, postgres)' : name));
    throw new Error(`missing on this machine: ${names.join(', ')}; run \`bash scripts/install-system-deps.sh\``);
  }
  return found as Binaries;
}

/** Postgres server binaries are off PATH on Debian: ask pg_config, else take the newest /usr/lib/postgresql/N. */
function findPgBin(): string | undefined {
  const candidates: string[] = [];
  try {
    candidates.push(execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  } catch {
    // no pg_config: fall through to the Debian layout
  }
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const versions = readdirSync(debian)
      .filter((name) => /^\d+$/.test(name))
      .sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((version) => path.join(debian, version, 'bin')));
  }
  return candidates.find((dir) => existsSync(path.join(dir, 'initdb')) && existsSync(path.join(dir, 'postgres')));
}

/** uid and gid of a system user, from /etc/passwd. */
export function systemUser(name: string): { uid: number; gid: number } {
  const entry = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .map((line) => line.split(':'))
    .find((fields) => fields[0] === name);
  if (!entry) throw new Error(`running as root needs a \`${name}\` system user (the postgresql package creates it)`);
  return { uid: Number(entry[2]), gid: Number(entry[3]) };
}

/**
 * The stack's temp dir. As root, Postgres runs as the `postgres` user and nginx's workers as
 * `nobody`: they must be able to traverse (not list) every directory above their own. TMPDIR may
 * be private (mode 0700, as `mktemp -d` makes it), so as root the dir goes under the first of
 * TMPDIR, /tmp and /var/tmp that others can traverse, or the start stops with one line saying so.
 */
export async function makeStackDir(): Promise<string> {
  const candidates = process.getuid?.() === 0 ? [os.tmpdir(), '/tmp', '/var/tmp'] : [os.tmpdir()];
  const base = candidates.find((candidate) => traversableByOthers(candidate));
  if (!base) {
    throw new Error(
      `TMPDIR (${os.tmpdir()}) is not traversable by the postgres and nobody users the stack runs as root: ` +
        'set TMPDIR to a directory with mode 0711 or wider, e.g. TMPDIR=/tmp',
    );
  }
  const dir = await mkdtemp(path.join(base, 'gatehouse-stack-'));
  await chmod(dir, 0o711);
  return dir;
}

/** True when `dir` and every directory above it let other users through (the x bit for others). */
function traversableByOthers(dir: string): boolean {
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    try {
      if (!(statSync(current).mode & 0o001)) return false;
    } catch {
      return false;
    }
    if (path.dirname(current) === current) return true;
  }
}

function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * Free ports are picked below the kernel's ephemeral range (ip_local_port_range, where the source
 * ports of outgoing connections come from). A port picked inside it can be taken as the source
 * port of some connection between the pick and the part's listen(), and the part then fails with
 * EADDRINUSE: below it, only another listener can take it, and each pick checks that.
 */
function ephemeralLow(): number {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || 32_768;
  } catch {
    return 32_768; // not Linux: the usual default
  }
}

/** A free port such that the `count - 1` ports after it are free too, below the ephemeral range. */
async function freePortRange(count: number, taken: Set<number>): Promise<number> {
  const low = 10_000;
  const high = Math.max(low + count, ephemeralLow()) - count;
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low));
    let ok = true;
    for (let i = 0; ok && i < count; i++) ok = !taken.has(port + i) && (await isPortFree(port + i));
    if (ok) return port;
  }
  throw new Error(`no ${count} consecutive free ports found`);
}

/**
 * Hands out ports for one stack: a given port must be free (a clear message beats a part's
 * "bind() failed"); a missing one is picked free, never twice.
 */
export class PortPicker {
  private readonly taken = new Set<number>();

  async pick(given: number | undefined, what: string, count = 1): Promise<number> {
    const port = given ?? (await freePortRange(count, this.taken));
    for (let i = 0; i < count; i++) {
      if (this.taken.has(port + i) || !(await isPortFree(port + i))) throw new Error(`port ${port + i} (${what}) is already in use`);
      this.taken.add(port + i);
    }
    return port;
  }
}
