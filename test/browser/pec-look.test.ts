/**
 * Closer to PEC, in a real browser at 1366×768 and 800×600 with axe: the connection's status is coloured text after
 * PEC's circled icon (no pill), a warning's background is told from an error's at a glance, the module's extras are
 * quieter than PEC's controls, and the certificate's *kind* warnings (a server certificate, an e-CPF, outside
 * ICP-Brasil, AES for PEC's Java 8) show on the screen, as warnings, from real fixtures.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createTestCertificate, createTestIssuer } from '../../scripts/lib/test-certificate.js';
import { BASE, CERTS, FIXTURES, bearer, type Harness } from '../support/harness.js';
import { VIEWPORTS, axeViolations, screenshot, useChromium, type Screen, type ScreenOptions } from '../support/browser.js';
import { startRndsAuthDouble } from '../doubles/rnds-auth.js';

const chromium = useChromium();

const open = (options: ScreenOptions = {}): Promise<Screen> => chromium.open(options);

async function enable(h: Harness, file: string, password: string): Promise<void> {
  await request(h.app)
    .post(`${BASE}/api/enable`)
    .set(bearer)
    .send({ file, password, identificadorSolicitante: '3167', services: ['RNDS', 'CADSUS'], environment: 'producao' })
    .expect(200);
}

const reload = async (s: Screen): Promise<void> => {
  await s.page.goto(s.url('/'));
  await s.page.evaluate(() => document.fonts.ready);
};

/** axe finds nothing at either window size, and the browser saw nothing go wrong (`npm run screenshots`: pictured). */
async function checkEverySize(s: Screen, picture?: string): Promise<void> {
  for (const viewport of VIEWPORTS) {
    await s.page.setViewportSize(viewport);
    expect(await axeViolations(s.page), `axe at ${viewport.width}×${viewport.height}`).toEqual([]);
    if (picture) await screenshot(s.page, `preview/${picture}${viewport.width === 1366 ? '' : `-${viewport.width}`}.png`);
  }
  expect(s.problems).toEqual([]);
}

interface Look {
  color: string;
  background: string;
  fontWeight: string;
  fontSize: number;
  borderRadius: string;
  icon: string | null;
}

async function lookOf(page: Page, selector: string): Promise<Look> {
  return page.$eval(selector, (el) => {
    const style = getComputedStyle(el);
    const icon = el.querySelector(':scope > svg.icon');
    return {
      color: style.color,
      background: style.backgroundColor,
      fontWeight: style.fontWeight,
      fontSize: parseFloat(style.fontSize),
      borderRadius: style.borderRadius,
      icon: icon ? ([...icon.classList].find((c) => c.startsWith('icon--')) ?? null) : null,
    };
  });
}

/** CIE76 colour difference of two `rgb(r, g, b)` strings: above ~10 two colours are told apart at a glance. */
function deltaE(a: string, b: string): number {
  const lab = (css: string) => {
    const [r, g, bl] = (css.match(/\d+(\.\d+)?/g) ?? []).slice(0, 3).map((v) => {
      const c = Number(v) / 255;
      return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    }) as [number, number, number];
    const x = (0.4124 * r + 0.3576 * g + 0.1805 * bl) / 0.95047;
    const y = 0.2126 * r + 0.7152 * g + 0.0722 * bl;
    const z = (0.0193 * r + 0.1192 * g + 0.9505 * bl) / 1.08883;
    const f = (t: number) => (t > 216 / 24389 ? Math.cbrt(t) : (24389 / 27 * t + 16) / 116);
    return [116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))] as const;
  };
  const [p, q] = [lab(a), lab(b)];
  return Math.hypot(p[0] - q[0], p[1] - q[1], p[2] - q[2]);
}

const SUCCESS = 'rgb(33, 123, 0)';
const DANGER = 'rgb(208, 30, 41)';
const TRANSPARENT = 'rgba(0, 0, 0, 0)';

describe('the connection status in PEC’s manner', () => {
  it('when the connection test passed, then each status is green text after a circled check, with no pill behind it', async () => {
    const double = await startRndsAuthDouble({ extraClientCaPem: fs.readFileSync(path.join(FIXTURES, 'ca/root.pem'), 'utf8') });
    chromium.defer(() => double.close());
    const s = await open({ harness: { files: [CERTS.legacy.file], authUrlProducao: double.url, rndsCa: double.trustedCa.join('\n') } });
    await enable(s.h, CERTS.legacy.file, CERTS.legacy.password);
    await s.h.rnds.testConnection();
    await reload(s);
    for (const selector of ['.connection__result > .status-text', '[data-service="RNDS"] .status-text', '[data-service="CADSUS"] .status-text']) {
      const look = await lookOf(s.page, selector);
      expect(look, selector).toMatchObject({ color: SUCCESS, background: TRANSPARENT, icon: 'icon--success-outline' });
      expect(Number(look.fontWeight), selector).toBeLessThan(700);
    }
    expect((await s.page.textContent('.connection__result > .status-text'))?.trim()).toBe('Conexão bem-sucedida');
    expect(await s.page.locator('.connection .tag').count()).toBe(0);
    await checkEverySize(s);
  });

  it('when RNDS cannot be reached, then the status is red text after a circled cross', async () => {
    const s = await open({ harness: { files: [CERTS.legacy.file], authUrlProducao: 'https://127.0.0.1:9/' } });
    await enable(s.h, CERTS.legacy.file, CERTS.legacy.password);
    await s.h.rnds.testConnection();
    await reload(s);
    const look = await lookOf(s.page, '.connection__result > .status-text');
    expect(look).toMatchObject({ color: DANGER, background: TRANSPARENT, icon: 'icon--danger-outline' });
    expect((await s.page.textContent('.connection__result > .status-text'))?.trim()).toBe('Sem conexão');
    await checkEverySize(s);
  });
});

describe('warnings, errors and the module’s extras', () => {
  it('when a warning and an error show together, then their backgrounds differ at a glance and each keeps its colour and icon', async () => {
    // The enabled file leaves the folder (an error) while the enabled certificate is an e-CPF (warnings).
    const s = await open({ harness: { files: [CERTS.legacy.file] } });
    s.h.drop('kinds/e-cpf.p12', 'e-cpf.p12');
    await s.h.waitFor(() => s.h.rnds.status().certificates.some((e) => e.file === 'e-cpf.p12' && e.status === 'ready'), 'e-cpf.p12 ready');
    await enable(s.h, 'e-cpf.p12', 'senha123');
    fs.rmSync(path.join(s.h.chavesDir, 'e-cpf.p12'));
    await s.h.waitFor(() => s.h.rnds.status().state === 'degraded', 'degraded');
    await reload(s);
    const error = await lookOf(s.page, '[data-problem="CERTIFICATE_MISSING"]');
    const warning = await lookOf(s.page, '[data-warning="PERSONAL_CERTIFICATE"]');
    expect(error.icon).toBe('icon--danger');
    expect(warning.icon).toBe('icon--alert');
    expect(error.color).toBe(DANGER);
    expect(warning.color).toBe('rgb(173, 80, 0)');
    // Bold's two pinks (#FEECED, #FFECE8) differ by ΔE ≈ 2: not something an eye catches.
    expect(deltaE('rgb(254, 236, 237)', 'rgb(255, 236, 232)')).toBeLessThan(5);
    expect(deltaE(error.background, warning.background), `${error.background} vs ${warning.background}`).toBeGreaterThan(10);
    await checkEverySize(s, 'aviso-e-erro-do-certificado');
  });

  it('when the form is open, then the guide link and Avançado are smaller and lighter than PEC’s own labels and links', async () => {
    const s = await open({ harness: { files: [CERTS.legacy.file] } });
    const label = await lookOf(s.page, 'label[for="certificado"]');
    const pecLink = await lookOf(s.page, '.steps .alert__link');
    const guide = await lookOf(s.page, '#link-guia');
    const avancado = await lookOf(s.page, '#avancado > summary');
    expect(guide.fontSize).toBeLessThan(pecLink.fontSize);
    expect(avancado.fontSize).toBeLessThan(label.fontSize);
    expect(Number(avancado.fontWeight)).toBeLessThan(Number(label.fontWeight));
    expect(avancado.color).toBe('rgb(105, 105, 121)');
    await checkEverySize(s);
  });
});

describe('the kind of certificate, on the screen', () => {
  const kinds = [
    { fixture: 'kinds/e-cpf.p12', codes: ['PERSONAL_CERTIFICATE', 'AES_FOR_OLD_JAVA'], says: 'e-CNPJ' },
    { fixture: 'kinds/keystore.p12', codes: ['SERVER_CERTIFICATE', 'AES_FOR_OLD_JAVA'], says: 'esus.municipio.gov.br' },
    { fixture: 'kinds/fora-icp.pfx', codes: ['OUTSIDE_ICP_BRASIL'], says: 'ICP-Brasil' },
  ];

  it.each(kinds)('when $fixture is enabled, then the enabled panel warns $codes with what to do, and nothing is refused', async ({ fixture, codes, says }) => {
    const file = path.basename(fixture);
    const s = await open();
    s.h.drop(fixture, file);
    await s.h.waitFor(() => s.h.rnds.status().certificates.some((e) => e.file === file && e.status === 'ready'), `${file} ready`);
    await enable(s.h, file, 'senha123');
    await reload(s);
    const shown = await s.page.$$eval('#painel-habilitado #avisos-certificado [data-warning]', (all) =>
      all.map((li) => ({ code: li.getAttribute('data-warning'), text: li.textContent ?? '', alert: li.classList.contains('alert--alert') })),
    );
    expect(shown.map((w) => w.code)).toEqual(codes);
    expect(shown.every((w) => w.alert)).toBe(true);
    expect(shown[0]!.text).toContain(says);
    expect(shown[0]!.text).toMatch(/Escolha|use o e-CNPJ/);
    if (codes.includes('AES_FOR_OLD_JAVA')) expect(shown.at(-1)!.text).toContain('exporte o certificado com -legacy');
    // A warning, not an error: the panel still says Habilitado and no error shows.
    expect(await s.page.textContent('#painel-habilitado .subpanel__header .tag')).toBe('Habilitado');
    expect(await s.page.locator('.alert--danger:visible').count()).toBe(0);
    await checkEverySize(s, fixture === 'kinds/e-cpf.p12' ? 'certificado-e-cpf' : undefined);
  });

  it('when a certificate of the right kind is enabled, then the panel has no warning list', async () => {
    const s = await open({ harness: { files: [CERTS.legacy.file] } });
    await enable(s.h, CERTS.legacy.file, CERTS.legacy.password);
    await reload(s);
    expect(await s.page.locator('#painel-habilitado').count()).toBe(1);
    expect(await s.page.locator('#avisos-certificado').count()).toBe(0);
  });

  it('when a renewal exported with AES is offered, then the offer warns about PEC before 5.3 before the switch', async () => {
    const issuer = createTestIssuer();
    const current = createTestCertificate({ password: 'Senha@123', days: 20, encoding: 'legacy', issuer });
    const renewed = createTestCertificate({ password: 'Senha@123', days: 380, encoding: 'aes', issuer });
    const s = await open();
    fs.writeFileSync(path.join(s.h.chavesDir, 'municipio-2025.pfx'), current.pfx);
    await s.h.waitFor(() => s.h.rnds.status().certificates.some((e) => e.file === 'municipio-2025.pfx' && e.status === 'ready'), 'ready');
    await enable(s.h, 'municipio-2025.pfx', 'Senha@123');
    fs.writeFileSync(path.join(s.h.chavesDir, 'municipio-2026.pfx'), renewed.pfx);
    await s.h.waitFor(() => Boolean(s.h.rnds.status().renewal), 'renewal offered');
    await reload(s);
    // The enabled one is a legacy export: only the offer carries the warning.
    expect(await s.page.locator('#avisos-certificado').count()).toBe(0);
    const offer = s.page.locator('#renovacao-disponivel #avisos-renovado [data-warning]');
    expect(await offer.evaluateAll((all) => all.map((li) => li.getAttribute('data-warning')))).toEqual(['AES_FOR_OLD_JAVA']);
    expect(await offer.first().textContent()).toContain('-legacy');
    await checkEverySize(s, 'renovado-aes');
  });

  it('when the kind warnings arrive live (enabled elsewhere), then the screen shows them without a reload', async () => {
    const s = await open({ harness: { files: [CERTS.aes.file] } });
    await enable(s.h, CERTS.aes.file, CERTS.aes.password);
    await s.page.waitForSelector('#avisos-certificado [data-warning="AES_FOR_OLD_JAVA"]');
    expect(await s.page.textContent('#avisos-certificado')).toContain('PEC anterior à versão 5.3');
    expect(s.problems).toEqual([]);
  });
});
