/// <reference lib="dom" />
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's Chromium, headless (never a downloaded browser); Playwright gives each launch a fresh, temporary profile. */
export async function launchChromium(): Promise<{ browser: Browser; close(): Promise<void> }> {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    browser,
    close: async () => {
      await browser.close();
    },
  };
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string[]; html: string }>;
}

/** axe-core's serious and critical violations on the page as it stands (WCAG 2.x A and AA rules). */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ content: axeSource });
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (context: unknown, options: unknown) => Promise<{ violations: AxeViolation[] }> } }).axe;
    const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 3).map((n) => ({ target: n.target, html: n.html.slice(0, 200) })),
    }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** Waits until the page shows `text` somewhere (15 s). */
export async function expectText(page: Page, text: string): Promise<void> {
  await page.getByText(text, { exact: false }).first().waitFor({ timeout: 15_000 });
}

// playwright-core has no test runner: a small web-first expect over locators, retried until it holds.
export function expect<T>(actual: T) {
  const base = (globalThis as unknown as { expect: (value: unknown) => any }).expect(actual);
  if (!actual || typeof actual !== 'object' || !('waitFor' in (actual as object))) return base as unknown as LocatorAssertions & any;
  const locator = actual as unknown as import('playwright-core').Locator;
  const retry = async (check: () => Promise<boolean>, what: () => Promise<string>) => {
    const deadline = Date.now() + 15_000;
    while (!(await check().catch(() => false))) {
      if (Date.now() > deadline) throw new Error(`expected ${await what().catch(() => '?')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  return {
    ...base,
    toBeVisible: () =>
      retry(
        () => locator.isVisible(),
        async () => `${locator} to be visible`,
      ),
    toHaveText: (expected: string | string[]) =>
      retry(
        async () => {
          const texts = (await locator.allTextContents()).map((t) => t.trim());
          return Array.isArray(expected) ? JSON.stringify(texts) === JSON.stringify(expected) : texts.length === 1 && texts[0] === expected;
        },
        async () => `${locator} to have text ${JSON.stringify(expected)}, got ${JSON.stringify(await locator.allTextContents())}`,
      ),
    toContainText: (expected: string | RegExp) =>
      retry(
        async () => {
          const text = (await locator.first().textContent()) ?? '';
          return typeof expected === 'string' ? text.includes(expected) : expected.test(text);
        },
        async () => `${locator} to contain ${String(expected)}, got ${JSON.stringify(await locator.first().textContent())}`,
      ),
    toHaveAttribute: (name: string, value: string) =>
      retry(
        async () => (await locator.getAttribute(name)) === value,
        async () => `${locator} to have ${name}=${value}, got ${await locator.getAttribute(name)}`,
      ),
  } as unknown as LocatorAssertions & any;
}

interface LocatorAssertions {
  toBeVisible(): Promise<void>;
  toHaveText(expected: string | string[]): Promise<void>;
  toContainText(expected: string | RegExp): Promise<void>;
  toHaveAttribute(name: string, value: string): Promise<void>;
}
