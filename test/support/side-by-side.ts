/**
 * Our screen beside PEC's own (docs/reference/), as one picture for docs/preview/: the browser composes it (a page
 * with both images side by side, photographed), so no image library is needed. One call per tab:
 *
 *   await sideBySide(page, 'pec-certificados-tab.png', 'preview/lado-a-lado-certificados.png');
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { SCREENSHOT_DIR } from './browser.js';

/** PEC's screens as the municipalities see them, the pictures our screens are compared with. */
export const REFERENCE_DIR = path.join(SCREENSHOT_DIR, 'reference');

/** Width and height of a PNG, from its IHDR chunk (bytes 16–23, big-endian). */
export function pngSize(png: Buffer): { width: number; height: number } {
  if (png.subarray(1, 4).toString('latin1') !== 'PNG' || png.subarray(12, 16).toString('latin1') !== 'IHDR') throw new Error('not a PNG');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

export interface SideBySide {
  /** The composed picture. */
  png: Buffer;
  /** Each picture as the composing page laid it out (natural size: nothing scaled). */
  shown: { ours: { width: number; height: number }; reference: { width: number; height: number } };
}

const GAP = 24;
const CAPTION = 32;

/**
 * Photographs `page` (the whole page, as it is now) and composes it, left, with `reference` (a file of
 * docs/reference/), right, each under its caption. Writes the result to docs/`file` when the run regenerates the
 * pictures (npm run screenshots); always returns it, with the sizes the composing page showed.
 */
export async function sideBySide(page: Page, reference: string, file: string): Promise<SideBySide> {
  const ours = await page.screenshot({ fullPage: true, animations: 'disabled', caret: 'hide' });
  const theirs = fs.readFileSync(path.join(REFERENCE_DIR, reference));
  const a = pngSize(ours);
  const b = pngSize(theirs);
  const width = a.width + b.width + 3 * GAP;
  const height = Math.max(a.height, b.height) + CAPTION + 2 * GAP;
  const browser = page.context().browser();
  if (!browser) throw new Error('the page has no browser to compose in');
  const context = await browser.newContext({ viewport: { width, height }, deviceScaleFactor: 1 });
  try {
    const composer = await context.newPage();
    const img = (png: Buffer, id: string) => `<img id="${id}" src="data:image/png;base64,${png.toString('base64')}" alt="">`;
    await composer.setContent(`<!doctype html><html lang="pt-BR"><head><meta charset="utf-8"><style>
      body { margin: 0; padding: ${GAP}px; background: #d3d4dd; font: 700 16px/${CAPTION}px sans-serif; color: #24252e; }
      main { display: flex; align-items: flex-start; gap: ${GAP}px; width: max-content; }
      figure { margin: 0; } figcaption { height: ${CAPTION}px; } img { display: block; box-shadow: 0 0 0 1px #8f8fa2; }
    </style></head><body><main>
      <figure><figcaption>pec-rnds (este módulo)</figcaption>${img(ours, 'nosso')}</figure>
      <figure><figcaption>PEC (referência: ${reference})</figcaption>${img(theirs, 'referencia')}</figure>
    </main></body></html>`);
    await composer.waitForFunction(() => [...document.images].every((i) => i.complete && i.naturalWidth > 0));
    const shown = await composer.evaluate(() => {
      const size = (id: string) => {
        const r = document.getElementById(id)!.getBoundingClientRect();
        return { width: Math.round(r.width), height: Math.round(r.height) };
      };
      return { ours: size('nosso'), reference: size('referencia') };
    });
    const png = await composer.screenshot({ fullPage: true });
    if (process.env.UPDATE_SCREENSHOTS) {
      const target = path.join(SCREENSHOT_DIR, file);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, png);
    }
    return { png, shown };
  } finally {
    await context.close();
  }
}
