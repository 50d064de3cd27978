/**
 * Wrong Bearer tokens are limited like /entrar (issue 20 §2): one budget of wrong tokens per client address, spent by
 * wrong tokens at /entrar and in `Authorization: Bearer` alike, never by the right token. Every request goes over real
 * HTTP to the module mounted in a host app; a second client address is a real socket bound to 127.0.0.2.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { BASE, TOKEN, startHarness, type Harness } from '../support/harness.js';

const LIMIT = 10;
const MONITORING = 'token-de-monitoramento-0123456789abcdef';

let h: Harness | undefined;
let server: http.Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  server?.close();
  server = undefined;
  await h?.close();
  h = undefined;
});

async function listen(harness: Harness): Promise<number> {
  server = http.createServer(harness.app).listen(0, '127.0.0.1');
  await new Promise((r) => server!.once('listening', r));
  return (server.address() as AddressInfo).port;
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request from `from` (the client's own address); an event stream is closed as soon as its head arrives. */
function get(port: number, path: string, headers: Record<string, string> = {}, from = '127.0.0.1'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: `${BASE}${path}`, headers, localAddress: from, agent: false }, (res) => {
      if (res.statusCode === 200 && String(res.headers['content-type']).startsWith('text/event-stream')) {
        resolve({ status: 200, headers: res.headers, body: '' });
        req.destroy();
        return;
      }
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const bearerOf = (token: string) => ({ Authorization: `Bearer ${token}` });
const codeOf = (answer: Answer) => (JSON.parse(answer.body) as { error: { code: string } }).error.code;

function expectLimited(answer: Answer): void {
  expect(answer.status, answer.body).toBe(429);
  expect(codeOf(answer)).toBe('TOO_MANY_LOGINS');
  expect(Number(answer.headers['retry-after'])).toBeGreaterThan(0);
  expect(Number(answer.headers['retry-after'])).toBeLessThanOrEqual(15 * 60);
  expect(answer.body).toContain('Muitas tentativas de entrar com token inválido');
}

describe('wrong Bearer tokens spend the same budget as /entrar', () => {
  it('when an address sends 10 wrong Bearer tokens, then it gets 429 TOO_MANY_LOGINS with Retry-After, even with the right token, and another address does not', async () => {
    h = await startHarness({ monitoringToken: MONITORING });
    const port = await listen(h);
    for (let i = 0; i < LIMIT; i++) {
      const wrong = await get(port, i % 2 ? '/api/status' : '/api/certificates', bearerOf(`errado-${i}`));
      expect(wrong.status, `try ${i + 1}`).toBe(401);
    }
    expectLimited(await get(port, '/api/status', bearerOf('errado-mais-um')));
    // The right access token and the right monitoring token, on the Status read answered early, an action and the event stream.
    expectLimited(await get(port, '/api/status', bearerOf(TOKEN)));
    expectLimited(await get(port, '/api/status', bearerOf(MONITORING)));
    expectLimited(await get(port, '/api/certificates', bearerOf(TOKEN)));
    expectLimited(await get(port, '/api/events', bearerOf(TOKEN)));
    expectLimited(await get(port, '/metrics', bearerOf(MONITORING)));
    // The same budget: /entrar is refused from that address too.
    const entrar = await get(port, `/entrar?token=${TOKEN}`, { Accept: 'application/json' });
    expect(entrar.status).toBe(429);
    expect(codeOf(entrar)).toBe('TOO_MANY_LOGINS');

    // Another address is not affected.
    expect((await get(port, '/api/status', bearerOf(TOKEN), '127.0.0.2')).status).toBe(200);
    expect((await get(port, '/api/status', bearerOf(MONITORING), '127.0.0.2')).status).toBe(200);
    expect((await get(port, `/entrar?token=${TOKEN}`, {}, '127.0.0.2')).status).toBe(303);
  });

  it('when wrong tokens are split between /entrar and Bearer, then they share one budget of 10', async () => {
    h = await startHarness({ monitoringToken: MONITORING });
    const port = await listen(h);
    for (let i = 0; i < LIMIT / 2; i++) expect((await get(port, `/entrar?token=errado-${i}`)).status).toBe(401);
    for (let i = 0; i < LIMIT / 2; i++) expect((await get(port, '/api/status', bearerOf(`errado-${i}`))).status).toBe(401);
    expectLimited(await get(port, '/api/status', bearerOf(TOKEN)));
    expect((await get(port, `/entrar?token=${TOKEN}`, { Accept: 'application/json' })).status).toBe(429);

    // In the other order: Bearer first, then /entrar.
    for (let i = 0; i < LIMIT - 1; i++) expect((await get(port, '/api/status', bearerOf(`errado-${i}`), '127.0.0.2')).status).toBe(401);
    expect((await get(port, '/entrar?token=errado', {}, '127.0.0.2')).status).toBe(401);
    expect((await get(port, `/entrar?token=${TOKEN}`, { Accept: 'application/json' }, '127.0.0.2')).status).toBe(429);
    expectLimited(await get(port, '/api/status', bearerOf(MONITORING), '127.0.0.2'));
  });

  it('when a wrong monitoring-looking token is guessed in parallel, then no more than 10 are answered 401', async () => {
    h = await startHarness({ monitoringToken: MONITORING });
    const port = await listen(h);
    const answers = await Promise.all(Array.from({ length: 3 * LIMIT }, (_, i) => get(port, '/metrics', bearerOf(`${MONITORING.slice(0, -1)}${i}`))));
    expect(answers.filter((a) => a.status === 401)).toHaveLength(LIMIT);
    for (const limited of answers.filter((a) => a.status !== 401)) expectLimited(limited);
  });

  it('when the right tokens are used many times (reads, event streams, a refused monitoring call), then nothing is spent', async () => {
    h = await startHarness({ monitoringToken: MONITORING });
    const port = await listen(h);
    for (let i = 0; i < 3 * LIMIT; i++) {
      expect((await get(port, '/api/status', bearerOf(TOKEN))).status).toBe(200);
      expect((await get(port, '/api/certificates', bearerOf(MONITORING))).status).toBe(200);
      expect((await get(port, '/api/events', bearerOf(TOKEN))).status).toBe(200);
    }
    // A monitoring token on a route it may not use is a known token: refused (403), not a guess.
    for (let i = 0; i < 2 * LIMIT; i++) expect((await get(port, '/api/events', bearerOf(MONITORING))).status).toBe(403);
    // The whole budget is still there: 10 wrong tries are each a plain 401.
    for (let i = 0; i < LIMIT; i++) expect((await get(port, '/api/status', bearerOf(`errado-${i}`))).status).toBe(401);
    expectLimited(await get(port, '/api/status', bearerOf(TOKEN)));
  });

  it('when X-Forwarded-For rotates without a trusted proxy, then it is ignored; behind a trusted proxy each client address has its own budget', async () => {
    h = await startHarness();
    let port = await listen(h);
    for (let i = 0; i < LIMIT; i++) expect((await get(port, '/api/status', { ...bearerOf(`errado-${i}`), 'X-Forwarded-For': `203.0.113.${i}` })).status).toBe(401);
    expectLimited(await get(port, '/api/status', { ...bearerOf(TOKEN), 'X-Forwarded-For': '203.0.113.200' }));
    server!.closeAllConnections();
    server!.close();
    await h.close();

    h = await startHarness({ trustProxy: 1 });
    port = await listen(h);
    for (let i = 0; i < LIMIT; i++) expect((await get(port, '/api/status', { ...bearerOf(`errado-${i}`), 'X-Forwarded-For': '203.0.113.7' })).status).toBe(401);
    expectLimited(await get(port, '/api/status', { ...bearerOf(TOKEN), 'X-Forwarded-For': '203.0.113.7' }));
    expect((await get(port, '/api/status', { ...bearerOf(TOKEN), 'X-Forwarded-For': '203.0.113.8' })).status).toBe(200);
  });
});
