/**
 * Which file of the built renderer an app:// request asks for. Kept apart from the protocol
 * handler so that it runs (and is tested) without Electron.
 */
import { join } from 'node:path';
import { fileUnder } from '../app/host/static-path.ts';

/** A file to serve, or the status to answer with instead. */
export type RendererPath = { file: string } | { status: 400 | 404 };

/**
 * Maps `requestUrl` on `app://<host>/` to a file under `rendererDir`; app routes (no file
 * extension) get index.html. A path that does not decode (a malformed `%` escape) is a bad
 * request, and one that leaves `rendererDir` is not found.
 */
export function rendererPathOf(rendererDir: string, requestUrl: string, host: string): RendererPath {
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    return { status: 400 };
  }
  if (url.host !== host) return { status: 404 };
  let relative: string;
  try {
    relative = decodeURIComponent(url.pathname);
  } catch {
    return { status: 400 };
  }
  if (relative.includes('\0')) return { status: 400 };
  const file = fileUnder(rendererDir, relative);
  if (file === undefined) return { status: 404 };
  if (relative === '/' || !/\.[a-z0-9]+$/i.test(relative)) return { file: join(rendererDir, 'index.html') };
  return { file };
}
