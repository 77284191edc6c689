/**
 * The API implementation both shells call: validates a request against its schema,
 * runs it, and answers with an Outcome. Push events go out through `events`.
 */
import { mkdirSync } from 'node:fs';
import type { z } from 'zod';
import { methodNames, PagevaultError, requestSchemas, type MethodName, type Outcome, type Result } from '../api/index.ts';
import * as engine from '../engine/index.ts';
import { sqliteVersion } from '../engine/backup.ts';
import { EventBus } from './event-bus.ts';
import { packageInfo } from './package-info.ts';

export interface CoreOptions {
  dataDir: string;
  shell: 'electron' | 'web';
}

type Handlers = { [M in MethodName]: (params: z.output<(typeof requestSchemas)[M]>) => Promise<Result<M>> };

const knownMethods = new Set<string>(methodNames);

export class Core {
  readonly events = new EventBus();
  readonly options: CoreOptions;
  readonly #handlers: Handlers;

  constructor(options: CoreOptions) {
    this.options = options;
    mkdirSync(options.dataDir, { recursive: true });
    this.#handlers = {
      'app.info': async () => {
        const pkg = packageInfo();
        return {
          name: pkg.productName,
          version: pkg.version,
          shell: options.shell,
          dataDir: options.dataDir,
          sqliteVersion: sqliteVersion(),
          nodeVersion: process.versions.node,
          platform: process.platform,
        };
      },
      'files.inspect': ({ path }) => engine.inspect(path),
      'files.verify': ({ path, full }) => engine.verify(path, { full }),
    };
  }

  /**
   * Validates and runs one request. Never throws: unknown methods, invalid params and
   * failures all come back as `{ ok: false, error }`.
   */
  async handle(method: string, params: unknown): Promise<Outcome<unknown>> {
    if (!knownMethods.has(method)) {
      return { ok: false, error: { code: 'UNKNOWN_METHOD', message: `Unknown API method '${method}'` } };
    }
    const name = method as MethodName;
    const parsed = requestSchemas[name].safeParse(params ?? {});
    if (!parsed.success) {
      const detail = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'params'}: ${issue.message}`).join('; ');
      return { ok: false, error: { code: 'INVALID_REQUEST', message: `Invalid request to ${method}: ${detail}` } };
    }
    try {
      const handler = this.#handlers[name] as (params: unknown) => Promise<unknown>;
      return { ok: true, value: await handler(parsed.data) };
    } catch (error) {
      if (error instanceof PagevaultError) return { ok: false, error: error.toBody() };
      console.error(`Pagevault: ${method} failed`, error);
      const message = error instanceof Error ? error.message : String(error);
      return { ok: false, error: { code: 'INTERNAL', message: `${method} failed: ${message}` } };
    }
  }
}
