// What `npm test` prints about skipped tests, from the unit skips (skip-reporter.ts) and
// Playwright's JSON report.

/** A skipped test: where it is, and why when its skip said so. */
export interface Skip {
  name: string;
  reason?: string;
  project?: string;
}

interface PlaywrightSuite {
  title: string;
  file?: string;
  specs?: { title: string; tests: { status: string; projectName?: string; annotations: { type: string; description?: string }[] }[] }[];
  suites?: PlaywrightSuite[];
}

/** Skipped e2e tests of a Playwright JSON report, each with the reason its test.skip gave. */
export function e2eSkips(report: { suites?: PlaywrightSuite[] }): Skip[] {
  const skips: Skip[] = [];
  const walk = (suite: PlaywrightSuite, titles: string[]) => {
    for (const spec of suite.specs ?? []) {
      for (const test of spec.tests) {
        if (test.status !== 'skipped') continue;
        const annotation = test.annotations.find((a) => a.type === 'skip' || a.type === 'fixme');
        skips.push({ name: [...titles, spec.title].join(' > '), reason: annotation?.description, project: test.projectName });
      }
    }
    for (const child of suite.suites ?? []) walk(child, [...titles, child.title]);
  };
  for (const suite of report.suites ?? []) walk(suite, [suite.file ?? suite.title]);
  return skips;
}

/** One line per skipped test: its name and why, or that no reason was given. */
export function skipLines(skips: Skip[]): string[] {
  return skips.map(({ name, reason, project }) => `skipped: ${project ? `[${project}] ` : ''}${name}: ${reason || 'no reason given'}`);
}
