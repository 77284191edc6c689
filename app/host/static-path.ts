/** The one guard between a URL path and the built UI's files, for the host and the app:// protocol. */
import { join, normalize, sep } from 'node:path';

/**
 * The file `decodedPath` (a URL path, already percent-decoded) names under `root`, or
 * undefined when it leaves `root` (`..`, an encoded slash that climbs out).
 */
export function fileUnder(root: string, decodedPath: string): string | undefined {
  const candidate = normalize(join(root, decodedPath));
  const inside = root.endsWith(sep) ? root : root + sep;
  return candidate === root || candidate + sep === inside || candidate.startsWith(inside) ? candidate : undefined;
}
