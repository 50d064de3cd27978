import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { BASE, CERTS, bearer, startHarness, type Harness } from '../support/harness.js';

const MONITORING = 'monitoramento-central-0123456789abcdef';
const asMonitor = { Authorization: `Bearer ${MONITORING}` };
const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe('GET /api/status and /api/certificates: ETag and If-None-Match (pollers skip the body)', () => {
  it('when the Status has not changed, then every read carries the same ETag and If-None-Match gets 304 without a body, for the access and the monitoring token', async () => {
    const h = (harness = await startHarness({ files: [CERTS.aes.file], monitoringToken: MONITORING }));

    for (const path of ['/api/status', '/api/certificates']) {
      const first = await request(h.app).get(`${BASE}${path}`).set(bearer);
      const again = await request(h.app).get(`${BASE}${path}`).set(asMonitor);
      expect(first.status).toBe(200);
      expect(first.headers.etag).toMatch(/^"[\w-]+"$/);
      expect(again.headers.etag).toBe(first.headers.etag);
      expect(again.text).toBe(first.text);
      expect(first.headers['cache-control']).toBe('no-store');
      expect(first.headers['content-type']).toMatch(/^application\/json/);

      for (const who of [bearer, asMonitor]) {
        const polled = await request(h.app).get(`${BASE}${path}`).set(who).set('If-None-Match', first.headers.etag!);
        expect(polled.status).toBe(304);
        expect(polled.text ?? '').toBe('');
        expect(polled.headers.etag).toBe(first.headers.etag);
      }
    }
  });

  it('when the Status changes (a file dropped, a certificate enabled), then the ETag changes and the old one gets the new body', async () => {
    const h = (harness = await startHarness({ files: [CERTS.aes.file] }));
    const before = await request(h.app).get(`${BASE}/api/status`).set(bearer);
    const listBefore = await request(h.app).get(`${BASE}/api/certificates`).set(bearer);

    h.drop(CERTS.aes.file, 'segundo.pfx');
    await h.waitFor(() => h.rnds.status().certificates.some((e) => e.file === 'segundo.pfx' && e.status === 'ready'), 'segundo.pfx');
    const dropped = await request(h.app).get(`${BASE}/api/status`).set(bearer).set('If-None-Match', before.headers.etag!);
    const listDropped = await request(h.app).get(`${BASE}/api/certificates`).set(bearer).set('If-None-Match', listBefore.headers.etag!);

    expect(dropped.status).toBe(200);
    expect(dropped.headers.etag).not.toBe(before.headers.etag);
    expect(dropped.body.certificates.map((e: { file: string }) => e.file)).toEqual([CERTS.aes.file, 'segundo.pfx']);
    expect(listDropped.status).toBe(200);
    expect(listDropped.headers.etag).not.toBe(listBefore.headers.etag);
    expect(listDropped.body.certificates).toHaveLength(2);

    const enable = await request(h.app).post(`${BASE}/api/enable`).set(bearer).send({ file: CERTS.aes.file, password: CERTS.aes.password, identificadorSolicitante: '3167' });
    expect(enable.status).toBe(200);
    const enabled = await request(h.app).get(`${BASE}/api/status`).set(bearer).set('If-None-Match', dropped.headers.etag!);

    expect(enabled.status).toBe(200);
    expect(enabled.body.state).toBe('enabled');
    expect(enabled.headers.etag).not.toBe(dropped.headers.etag);
    expect(enabled.body).toEqual(enable.body);
    // The certificate list did not change with the enable: its ETag stays.
    const listEnabled = await request(h.app).get(`${BASE}/api/certificates`).set(bearer).set('If-None-Match', listDropped.headers.etag!);
    expect(listEnabled.status).toBe(304);
  });

  it('when only the clock moves past local midnight, then the days left change and so does the ETag; within the day it stays', async () => {
    // São Paulo is UTC−3 all year (no daylight saving since 2019): its days start at 03:00 UTC.
    const ZONE_OFFSET_MS = 3 * HOUR_MS;
    const localDayStart = (ms: number) => Math.floor((ms - ZONE_OFFSET_MS) / DAY_MS) * DAY_MS + ZONE_OFFSET_MS;
    let now = new Date();
    const h = (harness = await startHarness({ files: [CERTS.aes.file], now: () => now, timeZone: 'America/Sao_Paulo' }));
    const enable = await request(h.app).post(`${BASE}/api/enable`).set(bearer).send({ file: CERTS.aes.file, password: CERTS.aes.password, identificadorSolicitante: '3167' });
    expect(enable.status).toBe(200);
    // Ten calendar days before the certificate's last day: at noon, at 23:59 and at 00:01 of the next day.
    const dayStart = localDayStart(Date.parse(enable.body.enabled.certificate.notAfter)) - 10 * DAY_MS;
    now = new Date(dayStart + 12 * HOUR_MS);
    const noon = await request(h.app).get(`${BASE}/api/status`).set(bearer);

    now = new Date(dayStart + DAY_MS - 60_000);
    const lastMinute = await request(h.app).get(`${BASE}/api/status`).set(bearer).set('If-None-Match', noon.headers.etag!);
    now = new Date(dayStart + DAY_MS + 60_000);
    const nextDay = await request(h.app).get(`${BASE}/api/status`).set(bearer).set('If-None-Match', noon.headers.etag!);

    expect(noon.body.enabled.certificate.daysLeft).toBe(10);
    expect(lastMinute.status).toBe(304);
    expect(nextDay.status).toBe(200);
    expect(nextDay.body.enabled.certificate.daysLeft).toBe(9);
    expect(nextDay.headers.etag).not.toBe(noon.headers.etag);
  });

  it('when the caller is not authorized, then the Status read answers 401 as before, with nothing of the Status in it', async () => {
    const h = (harness = await startHarness({ files: [CERTS.aes.file] }));

    const anonymous = await request(h.app).get(`${BASE}/api/status`);
    const wrong = await request(h.app).get(`${BASE}/api/certificates`).set({ Authorization: 'Bearer token-errado-0123456789abcdef' });

    for (const res of [anonymous, wrong]) {
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('UNAUTHENTICATED');
      expect(res.text).not.toContain(CERTS.aes.file);
    }
  });

  it("when a host's authorization hook guards the module, then a Status read asks it once, whether it allows or refuses", async () => {
    let allow = true;
    const asked: string[] = [];
    const h = (harness = await startHarness({
      files: [CERTS.aes.file],
      authorize: (req) => {
        asked.push(req.path);
        return allow ? { actor: 'admin municipal' } : false;
      },
    }));

    const allowed = await request(h.app).get(`${BASE}/api/status`);
    expect(allowed.status).toBe(200);
    expect(asked).toEqual(['/api/status']);

    allow = false;
    asked.length = 0;
    const refused = await request(h.app).get(`${BASE}/api/certificates`);
    expect(refused.status).toBe(401);
    expect(asked).toEqual(['/api/certificates']);
  });
});
