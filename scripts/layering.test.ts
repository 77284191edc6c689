// The layering rule of DESIGN.md fails the lint, with a message that names the fix.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { ESLint } from 'eslint';

const eslint = new ESLint({ cwd: new URL('..', import.meta.url).pathname });

async function messagesFor(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).map((m) => m.message);
}

describe('layering lint', () => {
  it('refuses electron in app/', async () => {
    const messages = await messagesFor('app/engine/bad.ts', "import { app } from 'electron';\nexport const x = app;\n");
    expect(messages.join('\n')).toMatch(/Bad layering: app\/ is plain Node.*Put Electron code in electron\//);
    // Discovery runs in the host and the CLI too.
    expect((await messagesFor('app/discovery/bad.ts', "import { app } from 'electron';\nexport const x = app;\n")).join('\n')).toMatch(/Bad layering: app\/ is plain Node/);
  });

  it('refuses react and renderer code in app/', async () => {
    expect((await messagesFor('app/core/bad.ts', "import { useState } from 'react';\nexport const x = useState;\n")).join()).toContain('Bad layering: app/ never renders');
    expect((await messagesFor('app/core/bad.ts', "import { api } from '../../renderer/src/api/client.ts';\nexport const x = api;\n")).join()).toContain('Bad layering: app/ never imports renderer/');
  });

  it('refuses node built-ins, electron and core code in the renderer', async () => {
    expect((await messagesFor('renderer/src/bad.ts', "import { readFile } from 'node:fs/promises';\nexport const x = readFile;\n")).join()).toContain("cannot use 'node:fs/promises'");
    expect((await messagesFor('renderer/src/bad.ts', "import { ipcRenderer } from 'electron';\nexport const x = ipcRenderer;\n")).join()).toContain('the renderer never imports Electron');
    expect((await messagesFor('renderer/src/bad.ts', "import { inspect } from '../../app/engine/index.ts';\nexport const x = inspect;\n")).join()).toContain('may only import types from app/api');
  });

  it('allows type imports from app/api in the renderer but not value imports', async () => {
    expect(await messagesFor('renderer/src/ok.ts', "import type { AppInfo } from '../../app/api/index.ts';\nexport type X = AppInfo;\n")).toEqual([]);
    expect((await messagesFor('renderer/src/bad.ts', "import { requestSchemas } from '../../app/api/index.ts';\nexport const x = requestSchemas;\n")).join()).toContain('import only types from app/api');
    expect((await messagesFor('renderer/src/bad.ts', "import { limits } from '../../app/api/index.ts';\nexport const x = limits;\n")).join()).toContain('import only types from app/api');
  });

  it('allows the core\'s limits and defaults as values in the renderer, from limits.ts, which imports nothing', async () => {
    expect(await messagesFor('renderer/src/ok.ts', "import { defaults, limits } from '../../app/api/limits.ts';\nexport const x = [defaults, limits];\n")).toEqual([]);
    expect(readFileSync('app/api/limits.ts', 'utf8')).not.toMatch(/^\s*import\b/m);
  });

  it('lets the renderer import the shared rules of app/api/rules.ts, which import nothing', async () => {
    expect(await messagesFor('renderer/src/ok.ts', "import { schedulesPaused } from '../../app/api/rules.ts';\nexport const x = schedulesPaused;\n")).toEqual([]);
    expect((await messagesFor('renderer/src/bad.ts', "import { requestSchemas } from '../../app/api';\nexport const x = requestSchemas;\n")).join()).toContain('import only types from app/api');
  });

  it('refuses renderer code in electron/', async () => {
    expect((await messagesFor('electron/bad.ts', "import { App } from '../renderer/src/App.tsx';\nexport const x = App;\n")).join()).toContain('electron/ never imports renderer code');
  });
});
