/**
 * The stack's edge: a self-signed certificate made per stack (no private key is ever committed)
 * and nginx with the one config template compose uses, rendered the way the nginx image does.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { type Processes, waitReady } from './proc.js';

export interface Nginx {
  baseUrl: string;
  httpUrl: string;
  /** PEM of the self-signed certificate: tests pin it as the only CA. */
  caCert: string;
  /** QUIT: finish the requests in flight, then exit. */
  shutDown(): Promise<void>;
}

export interface NginxOptions {
  root: string;
  dir: string;
  logDir: string;
  bin: { nginx: string; openssl: string };
  httpsPort: number;
  httpPort: number;
  appPorts: number[];
  /** See StackOptions.basePath. */
  basePath: string;
  scopeCookieToBasePath: boolean;
  /** See StackOptions.nginxExtraConf. */
  extraConf?: string;
}

export async function makeCertificate(procs: Processes, dir: string, openssl: string): Promise<string> {
  const certDir = path.join(dir, 'tls');
  await mkdir(certDir, { mode: 0o700 });
  // Command-line flags next to their values, as hand-formatted:
  // prettier-ignore
  await procs.run('openssl', openssl, [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '30',
    '-keyout', path.join(certDir, 'key.pem'), '-out', path.join(certDir, 'cert.pem'),
    '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
    // A leaf, not a CA: clients trust it by pinning it, not by chaining to it.
    '-addext', 'basicConstraints=critical,CA:FALSE',
    '-addext', 'extendedKeyUsage=serverAuth',
  ]);
  return certDir;
}

export async function startNginx(procs: Processes, certDir: string, o: NginxOptions): Promise<Nginx> {
  const nginxDir = path.join(o.dir, 'nginx');
  await mkdir(path.join(nginxDir, 'conf.d'), { recursive: true });
  await mkdir(path.join(nginxDir, 'tmp'));
  const accessLog = path.join(o.logDir, 'nginx-access.log');
  const template = await readFile(path.join(o.root, 'nginx/templates/default.conf.template'), 'utf8');
  const conf = renderTemplate(template, {
    NGINX_HTTPS_PORT: String(o.httpsPort),
    NGINX_HTTP_PORT: String(o.httpPort),
    NGINX_UPSTREAM_SERVERS: o.appPorts.map((port) => `server 127.0.0.1:${port};`).join(' '),
    NGINX_CERT_DIR: certDir,
    NGINX_PUBLIC_HOST: 'localhost',
    NGINX_ACCESS_LOG: accessLog,
  });
  await writeFile(path.join(nginxDir, 'conf.d/default.conf'), o.basePath ? underBasePath(conf, o.basePath, o.scopeCookieToBasePath) : conf);
  if (o.extraConf) await writeFile(path.join(nginxDir, 'conf.d/extra.conf'), o.extraConf);
  // What the official image's /etc/nginx/nginx.conf provides around conf.d, minus everything
  // that would touch /var or /run. As root the master keeps root (it reads the key) and the
  // workers drop to nginx's default user, `nobody`, which owns the temp dirs nginx creates.
  // worker_connections as compose sets it (scripts/compose/nginx-start.sh; why: the template's
  // header), with the files for them.
  const temp = (kind: string): string => `${kind}_temp_path ${path.join(nginxDir, 'tmp', kind)};`;
  await writeFile(
    path.join(nginxDir, 'nginx.conf'),
    [
      'daemon off;',
      `pid ${path.join(nginxDir, 'nginx.pid')};`,
      'error_log stderr warn;',
      'worker_processes 1;',
      'worker_rlimit_nofile 8192;',
      'events { worker_connections 4096; }',
      'http {',
      existsSync('/etc/nginx/mime.types') ? '    include /etc/nginx/mime.types;' : '',
      '    default_type application/octet-stream;',
      ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => `    ${temp(kind)}`),
      `    include ${path.join(nginxDir, 'conf.d')}/*.conf;`,
      // For a server without an access_log of its own (the template's both have one), in the
      // template's path-only format: defined in the include, so named after it.
      `    access_log ${accessLog} gatehouse;`,
      '}',
      '',
    ].join('\n'),
  );
  const caCert = await readFile(path.join(certDir, 'cert.pem'), 'utf8');
  const baseUrl = `https://localhost:${o.httpsPort}`;
  const httpUrl = `http://localhost:${o.httpPort}`;
  const proc = procs.launch('nginx', o.bin.nginx, ['-p', `${nginxDir}/`, '-c', path.join(nginxDir, 'nginx.conf'), '-e', 'stderr']);
  await waitReady(
    proc,
    async () => (await httpStatus(`${baseUrl}${o.basePath}/healthz`, caCert)) === 200 && (await httpStatus(`${httpUrl}/`)) === 308,
  );
  return {
    baseUrl,
    httpUrl,
    caCert,
    shutDown: async () => {
      await proc.stop('SIGQUIT');
    },
  };
}

/**
 * The rendered template with the app moved from `/` to `basePath`: nginx strips the prefix
 * (`proxy_pass` with a URI), so the app itself is unchanged. The rate limit's map keys on the
 * unprefixed paths, so it no longer matches under the prefix, which no test of a sub-path needs.
 */
function underBasePath(conf: string, basePath: string, scopeCookie: boolean): string {
  const root = / {4}location \/ \{\n((?: {8}[^\n]*\n)*?) {8}proxy_pass http:\/\/gatehouse_app;\n {4}\}/;
  if (!root.test(conf)) throw new Error('basePath: the nginx template has no `location /` block to move');
  const cookie = scopeCookie ? `\n        proxy_cookie_path / ${basePath};` : '';
  return conf.replace(
    root,
    (_, directives: string) => `    location ${basePath}/ {\n${directives}        proxy_pass http://gatehouse_app/;${cookie}\n    }`,
  );
}

/** Substitutes `${NAME}` for the given names only, as the nginx image's envsubst does. */
function renderTemplate(template: string, vars: Record<string, string>): string {
  return template.replace(/\$\{([A-Z0-9_]+)\}/g, (match, name: string) => vars[name] ?? match);
}

/** GET a URL without keep-alive; resolves with the status code. */
export function httpStatus(url: string, ca?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const client = url.startsWith('https:') ? https : http;
    const req = client.get(url, { agent: false, ca, timeout: 2_000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}
