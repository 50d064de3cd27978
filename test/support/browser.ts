import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type CDPSession, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { BASE, TOKEN, startHarness, type Harness } from './harness.js';
import { HANG_MS } from './wait.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The LAN-like host name the browser tests open the screen under (plain HTTP, not localhost: an insecure context). */
export const HOST = 'pec.municipio.lan';

/**
 * Debian's Chromium, headless, with the flags this closed network needs. `hostAlias` maps a LAN-like host name to
 * 127.0.0.1 so a page can be opened as plain HTTP on a non-localhost origin (an insecure context, as on a municipal
 * LAN) without any traffic leaving the machine.
 */
export async function launchChromium(hostAlias = HOST): Promise<{ browser: Browser; close: () => Promise<void> }> {
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

export interface ChromiumUse {
  /** The file's browser (launched before its first test). */
  readonly browser: Browser;
  /** Opens the screen (openScreen); it closes after the test. */
  open(options?: ScreenOptions): Promise<Screen>;
  /** Runs after the test, once its screens are closed (a double, a server of its own…). */
  defer(cleanup: () => unknown): void;
}

/**
 * One Chromium for a test file: launched before its tests, closed after the last. The screens a test opens with `open`
 * are closed after it, then what it `defer`red runs; with `noProblems`, the test then fails if a page did anything a
 * user must never see (watchProblems: console and script errors, CSP violations, native dialogs, outside requests) —
 * what each page had seen before it closed.
 */
export function useChromium(options: { hostAlias?: string; noProblems?: boolean } = {}): ChromiumUse {
  let launched: { browser: Browser; close: () => Promise<void> } | undefined;
  const screens: Screen[] = [];
  const cleanups: Array<() => unknown> = [];
  beforeAll(async () => {
    launched = await launchChromium(options.hostAlias);
  });
  afterAll(async () => {
    await launched?.close();
  });
  afterEach(async () => {
    const problems = screens.flatMap((s) => [...s.problems]);
    for (const s of screens.splice(0)) await s.close();
    for (const cleanup of cleanups.splice(0)) await cleanup();
    if (options.noProblems) expect(problems).toEqual([]);
  });
  const browser = (): Browser => {
    if (!launched) throw new Error('Chromium is launched in beforeAll: use it inside a test or a hook');
    return launched.browser;
  };
  return {
    get browser() {
      return browser();
    },
    async open(screenOptions = {}) {
      const s = await openScreen(browser(), screenOptions);
      screens.push(s);
      return s;
    },
    defer(cleanup) {
      cleanups.push(cleanup);
    },
  };
}

/** The window sizes every state is checked at: a common office laptop and the smallest screen still in use. */
export const VIEWPORTS = [
  { width: 1366, height: 768 },
  { width: 800, height: 600 },
] as const;
export type Viewport = (typeof VIEWPORTS)[number];

/** Where `npm run screenshots` (UPDATE_SCREENSHOTS=1) writes the pictures the README and docs/ show. */
export const SCREENSHOT_DIR = path.resolve(import.meta.dirname, '../../docs');
const updateScreenshots = Boolean(process.env.UPDATE_SCREENSHOTS);

/** Saves a full-page picture under docs/ when the run regenerates them (npm run screenshots); otherwise nothing. */
export async function screenshot(page: Page, file: string): Promise<void> {
  if (!updateScreenshots) return;
  const target = path.join(SCREENSHOT_DIR, file);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  await page.screenshot({ path: target, fullPage: true, animations: 'disabled', caret: 'hide' });
}

const AXE_SOURCE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/** Where axe-core's own file is offered to the page: a same-origin URL, so the page's CSP (script-src 'self') stays on. */
const AXE_PATH = '/__axe-core.min.js';
const axeRouted = new WeakSet<Page>();

/**
 * Whether the page runs scripts (a context opened with `javaScriptEnabled: false` does not). The HTML parser tells:
 * with scripting off, the content of <noscript> is parsed as markup; with it on, as text.
 */
async function scriptingEnabled(page: Page): Promise<boolean> {
  return page.evaluate(() => {
    const probe = document.createElement('div');
    probe.innerHTML = '<noscript><i></i></noscript>';
    return probe.querySelector('noscript i') === null;
  });
}

/**
 * axe-core's violations on the page as it is now (WCAG 2.x A/AA and best practices), one readable line each: rule,
 * impact and the elements. The script is served to the page from its own origin by the browser's request routing
 * (the module never serves it), so the real Content-Security-Policy is checked together with the page.
 */
export async function axeViolations(page: Page): Promise<string[]> {
  if (!axeRouted.has(page)) {
    axeRouted.add(page);
    await page.route(`**${AXE_PATH}`, (route) => route.fulfill({ path: AXE_SOURCE, contentType: 'text/javascript; charset=utf-8' }));
  }
  return withScripting(page, async () => {
    if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ url: new URL(AXE_PATH, page.url()).href });
    return page.evaluate(async () => {
      const axe = (window as unknown as { axe: { run: (context: Document, options: object) => Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } }).axe;
      const result = await axe.run(document, { resultTypes: ['violations'] });
      return result.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    });
  });
}

/**
 * Runs `run` with scripts allowed on the page. A page opened with JavaScript off (the no-JavaScript journeys) never loads
 * a <script> nor fires a timer, so axe could not run there: scripting is switched on for axe alone and off again. The
 * page's own scripts were skipped when it loaded and stay so; the DOM axe sees is the one the no-JavaScript user got.
 */
async function withScripting<T>(page: Page, run: () => Promise<T>): Promise<T> {
  if (await scriptingEnabled(page)) return run();
  let cdp = scriptSwitches.get(page);
  if (!cdp) {
    // A session of our own, kept for the page's life (detaching it would reset its settings, scripting on). Its own
    // record starts at "enabled": it says "disabled" first, so that the switch below is a change it passes on.
    cdp = await page.context().newCDPSession(page);
    await cdp.send('Emulation.setScriptExecutionDisabled', { value: true });
    scriptSwitches.set(page, cdp);
  }
  await cdp.send('Emulation.setScriptExecutionDisabled', { value: false });
  try {
    return await run();
  } finally {
    await cdp.send('Emulation.setScriptExecutionDisabled', { value: true });
  }
}
const scriptSwitches = new WeakMap<Page, CDPSession>();

/** Everything a page did that a user must never see happen: console errors (CSP violations among them), script
 *  errors, native dialogs, requests leaving the server's origin. */
export function watchProblems(page: Page, origin: string): string[] {
  const problems: string[] = [];
  page.on('console', (message) => {
    // A failed load is reported below with its URL; the console line without one would only repeat it.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) problems.push(`console: ${message.text()}`);
  });
  // A page the user navigated to, or a form the user sent (in place or not), answers with its own status (422 for a
  // refused form is what the screen then shows); any script, style, font, fragment or stream the page asks for by
  // itself must load.
  page.on('response', (response) => {
    const request = response.request();
    if (response.status() >= 400 && request.resourceType() !== 'document' && request.method() !== 'POST') problems.push(`HTTP ${response.status()}: ${response.url()}`);
  });
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('dialog', (dialog) => {
    problems.push(`native dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  page.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith(origin) && !url.startsWith('data:')) problems.push(`external request: ${url}`);
  });
  return problems;
}

export interface Screen {
  h: Harness;
  server: http.Server;
  port: number;
  origin: string;
  context: BrowserContext;
  page: Page;
  /** Console errors, CSP violations, script errors, native dialogs and external requests seen so far. */
  problems: string[];
  /** POST requests the page sent, by path below the module's base. */
  posts: string[];
  /** The module's URL for `route` (below its base path). */
  url(route?: string): string;
  close(): Promise<void>;
}

export interface ScreenOptions {
  harness?: Parameters<typeof startHarness>[0];
  javaScript?: boolean;
  viewport?: { width: number; height: number };
  /** Log in with the token link first (default), or stay anonymous (the login page). */
  login?: boolean;
  /** Run before the page opens (a context init script). */
  initScript?: string;
}

/** The module mounted by a host app, served over plain HTTP under a LAN host name, and one browser tab logged in. */
export async function openScreen(browser: Browser, options: ScreenOptions = {}): Promise<Screen> {
  const h = await startHarness(options.harness);
  const server = http.createServer(h.app).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const port = (server.address() as AddressInfo).port;
  const origin = `http://${HOST}:${port}`;
  const context = await browser.newContext({
    viewport: options.viewport ?? VIEWPORTS[0],
    locale: 'pt-BR',
    deviceScaleFactor: 1,
    javaScriptEnabled: options.javaScript ?? true,
  });
  context.setDefaultTimeout(HANG_MS); // a hang detector: a loaded machine must not fail a correct screen
  if (options.initScript) await context.addInitScript(options.initScript);
  const page = await context.newPage();
  const problems = watchProblems(page, origin);
  const posts: string[] = [];
  page.on('request', (request) => {
    if (request.method() === 'POST') posts.push(new URL(request.url()).pathname.slice(BASE.length));
  });
  const url = (route = '/') => `${origin}${BASE}${route}`;
  if (options.login ?? true) {
    await page.goto(url(`/entrar?token=${TOKEN}`));
    await page.waitForSelector('#certificados');
    await page.evaluate(() => document.fonts.ready);
  }
  return {
    h,
    server,
    port,
    origin,
    context,
    page,
    problems,
    posts,
    url,
    async close() {
      await context.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await h.close();
    },
  };
}
