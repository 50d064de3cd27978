import express from 'express';
import helmet from 'helmet';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { helmetOptions } from '../../module/http/headers.js';
import { BASE, CERTS, bearer, startHarness, type Harness } from '../support/harness.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

/** The headers a bare Express app running helmet itself (with the module's options) sends, minus the per-answer ones. */
async function helmetsOwn(secure: boolean): Promise<Record<string, string>> {
  const app = express();
  app.set('trust proxy', true);
  app.use(helmet(helmetOptions(secure)));
  app.get('/', (_req, res) => res.end());
  const res = await request(app).get('/');
  return securityPart(res.headers as Record<string, string>);
}

const PER_ANSWER = new Set(['date', 'connection', 'keep-alive', 'content-length', 'content-type', 'etag', 'cache-control', 'set-cookie', 'x-powered-by', 'vary', 'location', 'transfer-encoding', 'ratelimit', 'ratelimit-policy']);
function securityPart(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !PER_ANSWER.has(name)));
}

describe('Status reads answered before the rest of the app (issue 14): the same answer as the full app', () => {
  it("when the status, the list, the login page and /health are read over HTTP and HTTPS, then every answer carries exactly helmet's security headers", async () => {
    const h = (harness = await startHarness({ files: [CERTS.aes.file], trustProxy: 1 }));
    // Mounted in a host's Express app (which sets X-Powered-By before the module runs), and served on its own.
    const mounted = { app: h.app, base: BASE };
    const alone = { app: h.rnds.router, base: '' };
    for (const [secure, { app, base }] of [[false, mounted], [true, mounted], [false, alone], [true, alone]] as const) {
      const expected = await helmetsOwn(secure);
      expect(Object.keys(expected).length).toBeGreaterThanOrEqual(10);
      if (secure) expect(expected['content-security-policy']).toContain('upgrade-insecure-requests');
      else expect(expected['content-security-policy']).not.toContain('upgrade-insecure-requests');
      const proto = { 'X-Forwarded-Proto': secure ? 'https' : 'http' };
      for (const [path, who] of [['/api/status', bearer], ['/api/certificates', bearer], ['/entrar', {}], ['/health', {}], ['/api/status', {}]] as const) {
        const res = await request(app).get(`${base}${path}`).set(who).set(proto);
        expect(securityPart(res.headers as Record<string, string>), `${base}${path} ${secure ? 'https' : 'http'}`).toEqual(expected);
        expect(res.headers['x-powered-by']).toBeUndefined();
      }
    }
  });

  it("when a host's authorization hook fails during a status read, then the error answer still carries helmet's headers and nothing of the Status", async () => {
    const h = (harness = await startHarness({
      files: [CERTS.aes.file],
      authorize: () => {
        throw new Error('o serviço de sessões do host caiu');
      },
    }));
    const expected = await helmetsOwn(false);
    const res = await request(h.app).get(`${BASE}/api/status`);
    expect(res.status).toBeGreaterThanOrEqual(500);
    expect(securityPart(res.headers as Record<string, string>)).toEqual(expected);
    expect(res.text).not.toContain(CERTS.aes.file);
  });

  it('when the status is asked with HEAD, then it gets the headers of the GET (length, type, ETag) and no body', async () => {
    const h = (harness = await startHarness({ files: [CERTS.aes.file] }));
    const get = await request(h.app).get(`${BASE}/api/status`).set(bearer).expect(200);
    const head = await request(h.app).head(`${BASE}/api/status`).set(bearer).expect(200);
    expect(head.headers['content-length']).toBe(String(Buffer.byteLength(get.text)));
    expect(head.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(head.headers.etag).toBe(get.headers.etag);
    expect(head.headers['cache-control']).toBe('no-store');
    expect(head.text ?? '').toBe('');
  });

  it('when a poller sends the ETag with Cache-Control: no-cache, or among other ETags, then it is answered as Express answers it', async () => {
    const h = (harness = await startHarness({ files: [CERTS.aes.file] }));
    const first = await request(h.app).get(`${BASE}/api/status`).set(bearer).expect(200);
    const etag = first.headers.etag!;

    // An end-to-end reload: the body again.
    const reload = await request(h.app).get(`${BASE}/api/status`).set(bearer).set('If-None-Match', etag).set('Cache-Control', 'no-cache');
    expect(reload.status).toBe(200);
    expect(reload.text).toBe(first.text);
    // A list of ETags holding the current one, or its weak form, or `*`: 304 without body or type.
    for (const sent of [`"otro", ${etag}`, `W/${etag}`, '*']) {
      const polled = await request(h.app).get(`${BASE}/api/status`).set(bearer).set('If-None-Match', sent);
      expect(polled.status, sent).toBe(304);
      expect(polled.headers['content-type']).toBeUndefined();
      expect(polled.headers['cache-control']).toBe('no-store');
    }
    // Another ETag only: the body.
    const other = await request(h.app).get(`${BASE}/api/status`).set(bearer).set('If-None-Match', '"outro"');
    expect(other.status).toBe(200);
    expect(JSON.parse(other.text)).toEqual(JSON.parse(first.text));
  });
});
