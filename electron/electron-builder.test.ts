// The packaged app's fuses: electron-builder flips them in the binary it ships, with the
// option names of its own schema (an unknown name would fail `npm run dist`, not here).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const yaml = require('js-yaml') as { load(text: string): unknown };
const config = yaml.load(readFileSync(new URL('../electron-builder.yml', import.meta.url), 'utf8')) as { electronFuses?: Record<string, boolean> };
const schema = require('app-builder-lib/scheme.json') as { definitions: { FuseOptionsV1: { properties: Record<string, unknown> } } };

describe('electron-builder.yml', () => {
  it('turns off running as Node, NODE_OPTIONS and --inspect, and loads only the checked app.asar', () => {
    expect(config.electronFuses).toEqual({
      runAsNode: false,
      enableCookieEncryption: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
    });
    for (const name of Object.keys(config.electronFuses!)) expect(schema.definitions.FuseOptionsV1.properties).toHaveProperty(name);
  });
});
