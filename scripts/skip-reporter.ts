// A Vitest reporter for `npm test`: writes every skipped test, with the note given to
// ctx.skip(note) when there is one, to the file in PAGEVAULT_UNIT_SKIPS. Vitest's JSON
// report names the skipped tests but not why.
import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import type { Reporter, TestModule } from 'vitest/node';
import type { Skip } from './test-report.ts';

export default class SkipReporter implements Reporter {
  onTestRunEnd(testModules: readonly TestModule[]): void {
    const out = process.env.PAGEVAULT_UNIT_SKIPS;
    if (!out) return;
    const skips: Skip[] = [];
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const result = test.result();
        if (result.state !== 'skipped') continue;
        const reason = result.note ?? (test.options.mode === 'todo' ? 'todo' : undefined);
        skips.push({ name: `${relative(process.cwd(), module.moduleId)} > ${test.fullName}`, reason });
      }
    }
    writeFileSync(out, `${JSON.stringify(skips, null, 2)}\n`);
  }
}
