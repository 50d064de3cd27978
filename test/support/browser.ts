import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Debian's Chromium, headless, with the flags this closed network needs. `hostAlias` maps a LAN-like host name to
 * 127.0.0.1 so a page can be opened as plain HTTP on a non-localhost origin (an insecure context, as on a municipal
 * LAN) without any traffic leaving the machine.
 */
export async function launchChromium(hostAlias = 'pec.municipio.lan'): Promise<{ browser: Browser; close: () => Promise<void> }> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium não encontrado em ${CHROMIUM}: apt-get install -y chromium (o .ci/run instala).`);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--host-resolver-rules=MAP ${hostAlias} 127.0.0.1`,
    ],
  });
  return {
    browser,
    // Playwright gives every launch a new empty profile of its own and removes it on close.
    close: () => browser.close(),
  };
}

export const SCREENSHOT_DIR = path.resolve(import.meta.dirname, '../../docs');
