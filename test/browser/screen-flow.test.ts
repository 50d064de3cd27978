/**
 * Issue 12 §2 as a person meets it, in a real browser against the real module at 1366×768 and 800×600: Sair survives a
 * service restart, and the favicon loads. (The other §2 server behaviours are proven over HTTP in
 * test/http/screen-flow.test.ts.)
 */
import type { Browser } from 'playwright-core';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { VIEWPORTS, axeViolations, launchChromium, openScreen, type Screen, type ScreenOptions } from '../support/browser.js';

let chromium: { browser: Browser; close: () => Promise<void> };
let screen: Screen | undefined;

beforeAll(async () => {
  chromium = await launchChromium();
});
afterAll(async () => {
  await chromium?.close();
});
afterEach(async () => {
  await screen?.close();
  screen = undefined;
});

const open = async (options: ScreenOptions): Promise<Screen> => {
  screen = await openScreen(chromium.browser, options);
  return screen;
};

const axe = async (s: Screen, what: string) => expect(await axeViolations(s.page), what).toEqual([]);

for (const viewport of VIEWPORTS) {
  const size = `${viewport.width}×${viewport.height}`;

  describe(`at ${size}`, () => {
    it('when the admin clicks Sair and the service restarts, then the old cookie opens only the login page', async () => {
      const s = await open({ viewport });
      const before = await s.context.cookies();
      await Promise.all([s.page.waitForURL(/\/entrar$/), s.page.click('#sair')]);
      await s.h.restart();
      await s.context.addCookies(before); // as if the cookie had been copied before Sair
      await s.page.goto(s.url('/'));
      expect(await s.page.isVisible('#form-entrar')).toBe(true);
      expect(await s.page.$('#certificados')).toBeNull();
      await axe(s, 'login after Sair');
    });

    it('when the screen opens, then its favicon loads (SVG and .ico), without a login', async () => {
      const s = await open({ viewport });
      const icons = await s.page.$$eval('link[rel="icon"]', (links) => links.map((l) => (l as HTMLLinkElement).href));
      expect(icons).toHaveLength(2);
      for (const href of icons) {
        const res = await request(s.origin.replace('pec.municipio.lan', '127.0.0.1')).get(new URL(href).pathname);
        expect(res.status, href).toBe(200);
        expect(res.headers['content-type']).toMatch(/^image\//);
      }
    });
  });
}
