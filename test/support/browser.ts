/// <reference lib="dom" />
// Code passed to page.evaluate runs in the browser.
import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

/** Debian's Chromium (installed by .ci/run); never a downloaded browser. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const WEB_ROOT = resolve('web/dist');
/**
 * Where `screenshot` writes: a folder under the system's temp directory, so a test run never rewrites the
 * tracked docs/screenshots; `npm run screenshots` sets SCREENSHOT_DIR=docs/screenshots to update them.
 */
export const SCREENSHOT_DIR = resolve(
  process.env.SCREENSHOT_DIR || join(tmpdir(), 'concert-tickets-screenshots'),
);

/**
 * Headless Chromium with the flags this sandbox needs (no sandbox as root, no calls to Google), plus
 * `extraArgs` (e.g. a fake camera: `--use-file-for-fake-video-capture=<file.y4m>`).
 */
export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
      ...extraArgs,
    ],
  });
}

export const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };
export const DESKTOP = { viewport: { width: 1280, height: 860 } };

/** A fresh browser profile (its own storage, so its own signed-in user); uncaught page errors go to `errors`. */
export async function newProfile(
  browser: Browser,
  baseURL: string,
  errors: string[],
  device: typeof DESKTOP | typeof PHONE = DESKTOP,
): Promise<BrowserContext> {
  const context = await browser.newContext({ ...device, baseURL, locale: 'en-US', timezoneId: 'UTC' });
  context.on('weberror', (error) => errors.push(String(error.error())));
  return context;
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: unknown[] }>;
}

let axeSource: Promise<string> | undefined;

/** axe-core's serious and critical findings on the page as it is now (WCAG 2.1 A and AA rules). */
export async function accessibilityViolations(page: Page): Promise<string[]> {
  axeSource ??= readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  // Evaluated over the DevTools protocol, so the page's script-src 'self' does not stand in the way.
  await page.evaluate(await axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (
      globalThis as unknown as {
        axe: { run(context: unknown, options: unknown): Promise<{ violations: unknown[] }> };
      }
    ).axe;
    const result = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    });
    return result.violations;
  });
  return (violations as AxeViolation[])
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map(
      (violation) =>
        `${violation.id}: ${violation.help} (${violation.nodes.map((node) => node.target.join(' ')).join(', ')})`,
    );
}
