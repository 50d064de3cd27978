/**
 * The dates on the screen and in /api/status follow the installation's UF (or the explicit time zone): the same
 * certificate and the same instant read "vence hoje, 14/12" in Rio Branco and "vence amanhã, 15/12" in São Paulo.
 * The module's clock is injected; the certificate is made by the test-certificate generator at a fixed instant.
 */
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestCertificate, type TestCertificate } from '../../scripts/lib/test-certificate.js';
import { BASE, bearer, loggedIn, startHarness, type Harness } from '../support/harness.js';
import type { RndsModuleOptions } from '../../module/index.js';

const PASSWORD = 'Fuso#Teste1';
// The certificate ends at 04:30 UTC on 15/12/2026: 23:30 of 14/12 in Acre (UTC−5), 01:30 of 15/12 in São Paulo.
const MADE_AT = new Date('2026-12-10T04:30:00Z');
let cert: TestCertificate;
beforeAll(() => {
  cert = createTestCertificate({ now: MADE_AT, days: 5, password: PASSWORD, iterations: 2048 });
});

const clock = { now: new Date('2026-12-14T12:00:00Z') };
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function enabledIn(zone: Partial<RndsModuleOptions>): Promise<Harness> {
  clock.now = new Date('2026-12-14T12:00:00Z');
  const harness = await startHarness({ now: () => clock.now, ...zone });
  fs.writeFileSync(path.join(harness.chavesDir, 'municipio.pfx'), cert.pfx);
  await harness.waitFor(() => harness.rnds.status().certificates.some((e) => e.file === 'municipio.pfx' && e.status === 'ready'), 'municipio.pfx ready');
  await request(harness.app).post(`${BASE}/api/enable`).set(bearer).send({ file: 'municipio.pfx', password: PASSWORD, identificadorSolicitante: '3167' }).expect(200);
  return harness;
}

/** The text of the page without tags, spaces collapsed. */
const textOf = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');

describe('dates by the installation time zone', () => {
  it.each([
    // 12:00 UTC on 14/12 is 07:00 in Rio Branco and 09:00 in São Paulo.
    ['the UF is AC', '14/12/2026', 0, 'vence hoje', '15/12/2026', { uf: 'AC' }],
    ['the UF is SP', '15/12/2026', 1, 'vence amanhã', '14/12/2026', { uf: 'SP' }],
    ['no UF nor zone is set', '15/12/2026', 1, 'vence amanhã', '14/12/2026', {}],
    ['the UF is PE but the time zone option says Rio Branco', '14/12/2026', 0, 'vence hoje', '15/12/2026', { uf: 'PE', timeZone: 'America/Rio_Branco' }],
  ])('when %s, then /api/status and the screen show the expiry as %s (%i days left: "%s", never %s)', async (_what, date, days, words, otherDate, zone) => {
    h = await enabledIn(zone);

    const status = (await request(h.app).get(`${BASE}/api/status`).set(bearer).expect(200)).body;
    const { page } = await loggedIn(h);

    expect(status.enabled.certificate.daysLeft).toBe(days);
    const expiring = status.problems.find((p: { code: string }) => p.code === 'CERTIFICATE_EXPIRING');
    expect(expiring).toMatchObject({ severity: 'warning' });
    expect(expiring.message).toContain(`vence em ${date} (${words})`);
    const screen = textOf(page.text);
    // Said once, in the expiry's alert (the panel's "Válido até" points there).
    expect(screen).toContain(`O certificado vence em ${date} (${words})`);
    expect(screen).not.toContain(`Válido até ${otherDate}`);
    expect(screen).not.toContain(`vence em ${otherDate}`);
    expect(JSON.stringify(status)).not.toContain(otherDate);
  });

  it('when the UF is AC and the clock passes 23:30 local time, then both say it expired on 14/12 ("venceu hoje"), and at midnight "venceu ontem"', async () => {
    h = await enabledIn({ uf: 'AC' });
    clock.now = new Date('2026-12-15T04:45:00Z'); // 23:45 of 14/12 in Rio Branco

    const status = (await request(h.app).get(`${BASE}/api/status`).set(bearer).expect(200)).body;
    const { page } = await loggedIn(h);

    expect(status.state).toBe('degraded');
    expect(status.problems.find((p: { code: string }) => p.code === 'CERTIFICATE_EXPIRED')).toMatchObject({ severity: 'critical', message: expect.stringContaining('expirou em 14/12/2026') });
    expect(textOf(page.text)).toContain('Válido até 14/12/2026 (venceu hoje)');

    clock.now = new Date('2026-12-15T05:00:00Z'); // 00:00 of 15/12 in Rio Branco
    const later = await loggedIn(h);
    expect(textOf(later.page.text)).toContain('Válido até 14/12/2026 (venceu ontem)');
  });
});
