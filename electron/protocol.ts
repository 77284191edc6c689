/**
 * The renderer is served from `app://pagevault/`, a privileged custom scheme, rather than
 * file://: it gets a real origin the IPC handlers can check and a CSP header on every response.
 */
import { net, protocol } from 'electron';
import { join, normalize, sep } from 'node:path';
import { pathToFileURL } from 'node:url';

export const APP_SCHEME = 'app';
export const APP_ORIGIN = `${APP_SCHEME}://pagevault`;

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'none'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'none'",
].join('; ');

/** Must run before the app is ready. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
}

/** Serves `rendererDir` on app://pagevault/, falling back to index.html for app routes. */
export function serveRenderer(rendererDir: string): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url);
    if (url.host !== 'pagevault') return new Response('Not found', { status: 404 });
    const relative = decodeURIComponent(url.pathname);
    let file = normalize(join(rendererDir, relative));
    if (!file.startsWith(rendererDir + sep)) return new Response('Not found', { status: 404 });
    if (relative === '/' || !/\.[a-z0-9]+$/i.test(relative)) file = join(rendererDir, 'index.html');
    const response = await net.fetch(pathToFileURL(file).toString());
    const headers = new Headers(response.headers);
    headers.set('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    headers.set('X-Content-Type-Options', 'nosniff');
    return new Response(response.body, { status: response.status, headers });
  });
}
