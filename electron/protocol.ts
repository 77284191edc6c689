/**
 * The renderer is served from `app://pagevault/`, a privileged custom scheme, rather than
 * file://: it gets a real origin the IPC handlers can check and a CSP header on every response.
 */
import { net, protocol } from 'electron';
import { pathToFileURL } from 'node:url';
import { contentSecurityPolicy } from '../app/api/rules.ts';
import { rendererPathOf } from './renderer-path.ts';

export const APP_SCHEME = 'app';
export const APP_ORIGIN = `${APP_SCHEME}://pagevault`;

/** The window talks to the core over IPC: it connects nowhere. */
const CONTENT_SECURITY_POLICY = contentSecurityPolicy([]);

/** Must run before the app is ready. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
}

/** Serves `rendererDir` on app://pagevault/, falling back to index.html for app routes. */
export function serveRenderer(rendererDir: string): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const path = rendererPathOf(rendererDir, request.url, 'pagevault');
    if ('status' in path) return new Response(path.status === 400 ? 'Bad request' : 'Not found', { status: path.status });
    const response = await net.fetch(pathToFileURL(path.file).toString());
    const headers = new Headers(response.headers);
    headers.set('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    headers.set('X-Content-Type-Options', 'nosniff');
    return new Response(response.body, { status: response.status, headers });
  });
}
