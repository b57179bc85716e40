// The built renderer (out/renderer) as the served station sends it: every file read once at start
// into a table by URL path, so no request path ever reaches the file system, and the page's own
// Content-Security-Policy (the meta tag in index.html, the one the Electron window enforces) taken
// from the page itself to be sent as a header too.
import { readdir, readFile } from 'node:fs/promises';
import { extname, join, relative, sep } from 'node:path';

export interface RendererFile {
  readonly body: Buffer;
  readonly type: string;
}

export interface RendererFiles {
  /** By URL path: `/` is index.html, `/assets/index-….js` an asset. */
  readonly files: ReadonlyMap<string, RendererFile>;
  readonly contentSecurityPolicy: string;
}

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

const CSP_META = /<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]+)"\s*\/?>/i;

export async function loadRendererFiles(dir: string): Promise<RendererFiles> {
  const index = await readFile(join(dir, 'index.html'), 'utf8').catch(() => null);
  if (index === null) throw new Error(`there is no built renderer in ${dir}; run \`npm run build\` first`);
  const csp = CSP_META.exec(index)?.[1];
  if (!csp) throw new Error(`${join(dir, 'index.html')} has no Content-Security-Policy; the station will not serve a page without one`);
  const files = new Map<string, RendererFile>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    const type = TYPES[extname(entry.name)];
    if (!entry.isFile() || !type) continue;
    const path = join(entry.parentPath, entry.name);
    files.set(`/${relative(dir, path).split(sep).join('/')}`, { body: await readFile(path), type });
  }
  files.set('/', files.get('/index.html') as RendererFile);
  return { files, contentSecurityPolicy: csp.replace(/\s+/g, ' ').trim() };
}
