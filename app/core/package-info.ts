/** Reads Pagevault's own package.json, from the sources or from the compiled dist/. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The fields of package.json that `app.info` answers with. */
export interface PackageInfo {
  name: string;
  productName: string;
  version: string;
}

let cached: PackageInfo | undefined;

/** Walks up from this module to the package.json that names Pagevault. */
export function packageInfo(): PackageInfo {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      const json = JSON.parse(readFileSync(candidate, 'utf8')) as Partial<PackageInfo>;
      if (json.name === 'pagevault') {
        cached = { name: json.name, productName: json.productName ?? 'Pagevault', version: json.version ?? '0.0.0' };
        return cached;
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('Pagevault: package.json not found above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}
