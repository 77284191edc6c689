/**
 * A real Chromium browsing pages served on loopback, for the tests of databases another
 * program holds: Chromium keeps its profile's History, Cookies and Favicons locked while it
 * runs, and records a visit for every page, without reaching any network.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from '@playwright/test';

const lockProbe = fileURLToPath(new URL('./lock-probe.py', import.meta.url));

/** Whether another process holds `file`'s SQLite lock as a writer, asked without taking any. */
function heldLockFree(file: string): boolean {
  return execFileSync('python3', [lockProbe, file], { encoding: 'utf8' }).trim() === 'held';
}

/** A running Chromium on `profile` and the local pages it may visit. */
export interface BrowsingChromium {
  page: Page;
  /** The address of a local page; each path is a page of its own, titled `Visit <path>`. */
  url(path: string): string;
  /**
   * Browses on until Chromium holds its profile's database `name` (History, say) the way it
   * does while it runs. It opens History at start but takes its lock only at its first
   * commit, seconds later (about 10 s for Chromium 150): a backup before that is an
   * ordinary one. Asked without a lock (lock-probe.py): a reader's lock at the moment of
   * that first commit made Chromium's commits fail, under load, for the rest of its run.
   * Bounded by the calling test's own timeout.
   */
  holds(name: string): Promise<void>;
  /** Closes the browser, then the page server. */
  close(): Promise<void>;
}

/** Starts Debian's Chromium, headless, on the profile folder `profile`, with a page server of its own. */
export async function startBrowsingChromium(profile: string): Promise<BrowsingChromium> {
  // Imported here, not at the top: the unit tests load this module under Vitest.
  const { chromium } = await import('@playwright/test');
  const server = createServer((request, response) => {
    response.setHeader('content-type', 'text/html');
    response.end(`<!doctype html><title>Visit ${request.url}</title><link rel="icon" href="data:,"><h1>${request.url}</h1>`);
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const port = (server.address() as AddressInfo).port;
  try {
    const browser = await chromium.launchPersistentContext(profile, {
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const page = await browser.newPage().catch(async (error: unknown) => {
      await browser.close();
      throw error;
    });
    return {
      page,
      url: (path) => `http://127.0.0.1:${port}${path}`,
      holds: async (name) => {
        const file = join(profile, 'Default', name);
        for (let visit = 0; ; visit += 1) {
          if (existsSync(file) && heldLockFree(file)) return;
          await page.goto(`http://127.0.0.1:${port}/until-held-${visit}`);
          await new Promise((wake) => setTimeout(wake, 250));
        }
      },
      close: async () => {
        await browser.close();
        server.close();
      },
    };
  } catch (error) {
    server.close();
    throw error;
  }
}
