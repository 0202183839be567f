// Debian's Chromium for the browser tests (never a downloaded browser): where it is, whether a
// suite runs without it, and how it is started (headless, no sandbox, no network of its own).
import { execFileSync } from 'node:child_process';
import { chromium, type Browser } from 'playwright-core';

function findChromium(): string | null {
  try {
    return execFileSync('which', ['chromium'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

/** The `chromium` on the PATH, or `null`. */
export const chromiumPath = findChromium();

/**
 * Whether a browser suite skips: Chromium is missing and this is not CI (under `CI=true` the
 * suite runs and fails). Prints the `SKIP:` line that `.ci/run` looks for.
 */
export function skipWithoutChromium(suite: string): boolean {
  const skip = chromiumPath === null && process.env.CI !== 'true';
  if (skip) console.log(`SKIP: ${suite}: chromium is not installed (apt-get install -y chromium)`);
  return skip;
}

/** Start headless Chromium with the flags every browser test uses. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath ?? 'chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
}
