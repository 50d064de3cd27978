/**
 * CLOCK_SKEW against the real mutual-TLS RNDS double: the double answers with a chosen `Date` header (its clock set
 * ahead or behind), and the module compares it with its own clock at every connection test and token request.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { BASE, CERTS, bearer, loggedIn, startHarness, type Harness } from '../support/harness.js';
import { rndsDoubleForFile } from '../support/mutual-tls.js';
import { runScript } from '../cli/run.js';

const shared = rndsDoubleForFile({ trustFixtures: true });
let h: Harness | undefined;
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await h?.close();
  h = undefined;
  for (const close of closers.splice(0)) await close();
});

const MINUTES = 60_000;

/** A real HTTP server receiving the webhook. */
async function startReceiver(): Promise<{ url: string; bodies: Array<Record<string, unknown>> }> {
  const bodies: Array<Record<string, unknown>> = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      bodies.push(JSON.parse(body) as Record<string, unknown>);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/gancho`, bodies };
}

async function setup(webhookUrl?: string): Promise<Harness> {
  const { double } = shared;
  h = await startHarness({
    files: [CERTS.legacy.file],
    authUrlProducao: double.url,
    authUrlHomologacao: double.url,
    rndsCa: double.trustedCa.join('\n'),
    ...(webhookUrl ? { alerts: { webhookUrl, retryDelayMs: 0 } } : {}),
  });
  await request(h.app).post(`${BASE}/api/enable`).set(bearer).send({ file: CERTS.legacy.file, password: CERTS.legacy.password, identificadorSolicitante: '3167' }).expect(200);
  return h;
}

async function status(harness: Harness) {
  return (await request(harness.app).get(`${BASE}/api/status`).set(bearer).expect(200)).body;
}

async function metric(harness: Harness, line: RegExp): Promise<string | undefined> {
  const text = (await request(harness.app).get(`${BASE}/metrics`).set(bearer).expect(200)).text;
  return text.split('\n').find((l) => line.test(l));
}

describe('CLOCK_SKEW: the RNDS server clock against ours', () => {
  it('when RNDS answers a connection test with a Date 5 minutes ahead, then Status, metrics, npm run status and the webhook say so; when the clocks agree again, it clears', async () => {
    const hook = await startReceiver();
    const harness = await setup(hook.url);
    const { double } = shared;

    double.setClockOffset(5 * MINUTES);
    const tested = await request(harness.app).post(`${BASE}/api/connection-test`).set(bearer).expect(200);
    expect(tested.body.connection.status).toBe('ok'); // the token came: only the clock is wrong

    let body = await status(harness);
    expect(body.state).toBe('enabled'); // a warning: the state is not degraded
    // This server is behind RNDS by 5 minutes: ours minus RNDS's is about -300 s (the header has whole seconds).
    expect(Math.abs(body.clock.skewSeconds + 300)).toBeLessThanOrEqual(2);
    const problem = body.problems.find((p: { code: string }) => p.code === 'CLOCK_SKEW');
    expect(problem).toMatchObject({ severity: 'warning' });
    expect(problem.message).toMatch(/estava (4 min 5\d s|5 min( [0-2] s)?) atrasado em relação ao da RNDS/);
    expect(problem.message).toContain('timedatectl set-ntp true');
    expect(problem.message).toContain('w32tm /resync');
    expect(problem.message).toContain('fuso horário');

    const gauge = await metric(harness, /^pec_rnds_clock_skew_seconds\{/);
    expect(gauge).toMatch(/^pec_rnds_clock_skew_seconds\{environment="producao"\} -(29[89]|30[0-2])$/);
    expect(await metric(harness, /^pec_rnds_problem\{code="CLOCK_SKEW"\}/)).toBe('pec_rnds_problem{code="CLOCK_SKEW"} 1');

    const env = { RNDS_CHAVES_DIR: harness.chavesDir, RNDS_DATA_DIR: harness.dataDir };
    const cli = await runScript('status', ['--no-server-check'], { env });
    expect(cli.code).toBe(1);
    expect(cli.stdout).toMatch(/^RNDS WARNING/);
    expect(cli.stdout).toMatch(/relógio do servidor (29[89]|30[0-2]) s atrasado em relação à RNDS/);
    expect(cli.stdout).toContain('timedatectl set-ntp true');

    await harness.rnds.checkAlerts();
    expect(hook.bodies.map((b) => b.event)).toEqual(['clock-skew']);
    expect(JSON.stringify(hook.bodies[0])).toContain('w32tm /resync');
    expect(Math.abs((hook.bodies[0]!.installation as { clockSkewSeconds: number }).clockSkewSeconds + 300)).toBeLessThanOrEqual(2);

    // The screen lists it with the other warnings.
    const { page } = await loggedIn(harness);
    expect(page.text).toMatch(/atrasado em relação ao da RNDS/);
    expect(page.text).toContain('timedatectl set-ntp true');
    // Another skewed test is the same episode: no second alert.
    await request(harness.app).post(`${BASE}/api/connection-test`).set(bearer).expect(200);
    await harness.rnds.checkAlerts();
    expect(hook.bodies.map((b) => b.event)).toEqual(['clock-skew']);

    double.setClockOffset(0);
    await request(harness.app).post(`${BASE}/api/connection-test`).set(bearer).expect(200);
    body = await status(harness);
    expect(body.problems.map((p: { code: string }) => p.code)).not.toContain('CLOCK_SKEW');
    expect(Math.abs(body.clock.skewSeconds)).toBeLessThanOrEqual(2);
    expect(await metric(harness, /^pec_rnds_problem\{code="CLOCK_SKEW"\}/)).toBe('pec_rnds_problem{code="CLOCK_SKEW"} 0');
    const cleared = await runScript('status', ['--no-server-check'], { env });
    expect(cleared.stdout).not.toContain('relógio');
    expect(cleared.code).toBe(0);
  });

  it('when the host asks for a token and RNDS is 3 minutes behind, then CLOCK_SKEW says this server is ahead; the reading survives a restart', async () => {
    const harness = await setup();
    shared.double.setClockOffset(-3 * MINUTES);
    const changed = new Promise<void>((resolve) => {
      const stop = harness.rnds.onChange(() => {
        if (harness.rnds.status().clock) {
          stop();
          resolve();
        }
      });
    });
    await harness.rnds.getToken();
    await changed;
    const problem = harness.rnds.status().problems.find((p) => p.code === 'CLOCK_SKEW');
    expect(problem?.message).toMatch(/estava (2 min 5\d s|3 min( [0-2] s)?) adiantado/);

    await harness.restart();
    expect(harness.rnds.status().problems.map((p) => p.code)).toContain('CLOCK_SKEW');
  });

  it('when RNDS refuses the token (401) with its clock 2 minutes ahead, then the clock is still read', async () => {
    const harness = await setup();
    shared.double.setScenario('unauthorized');
    shared.double.setClockOffset(2 * MINUTES);
    const tested = await request(harness.app).post(`${BASE}/api/connection-test`).set(bearer).expect(200);
    expect(tested.body.connection.status).toBe('certificate-failure');
    expect((await status(harness)).problems.map((p: { code: string }) => p.code)).toContain('CLOCK_SKEW');
  });

  it('when a state file from before the clock was kept is loaded, then it loads and nothing about the clock shows', async () => {
    const harness = await setup();
    shared.double.setClockOffset(10 * MINUTES);
    await request(harness.app).post(`${BASE}/api/connection-test`).set(bearer).expect(200);
    const file = path.join(harness.dataDir, 'state.json');
    await harness.rnds.close();
    const state = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    expect(state.clock).toMatchObject({ skewSeconds: expect.any(Number) });
    delete state.clock;
    fs.writeFileSync(file, JSON.stringify(state));
    await harness.restart();
    const body = await status(harness);
    expect(body.state).toBe('enabled');
    expect(body.clock).toBeUndefined();
    expect(body.problems.map((p: { code: string }) => p.code)).not.toContain('CLOCK_SKEW');
    expect(await metric(harness, /^pec_rnds_clock_skew_seconds\{/)).toBeUndefined();
  });
});
