/**
 * The module's secret.key and sealed password, seen through the real module: a damaged seal degrades instead of
 * stopping the start, a key deleted while running is recreated before sealing, a refused key says what to fix
 * (Status, API and form, never a 500).
 */
import fs from 'node:fs';
import path from 'node:path';
import express from 'express';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { createRndsModule } from '../../module/index.js';
import { BASE, CERTS, TOKEN, bearer, startHarness, type Harness } from '../support/harness.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const posix = process.platform !== 'win32';
const enableBody = { file: CERTS.legacy.file, password: CERTS.legacy.password, identificadorSolicitante: '3167' };

/** Closes the module and starts a new one on the same folders (a restart). */
async function restart(harness: Harness): Promise<Harness> {
  await harness.rnds.close();
  const rnds = await createRndsModule({ chavesDir: harness.chavesDir, dataDir: harness.dataDir, accessToken: TOKEN });
  const app = express();
  app.use(BASE, rnds.router);
  return {
    ...harness,
    rnds,
    app,
    async close() {
      await rnds.close();
      fs.rmSync(harness.root, { recursive: true, force: true });
    },
  };
}

async function loggedIn(harness: Harness) {
  const agent = request.agent(harness.app);
  await agent.get(`${BASE}/entrar?token=${TOKEN}`).expect(303);
  const page = await agent.get(`${BASE}/`).expect(200);
  const csrf = /name="csrf-token" content="([^"]+)"/.exec(page.text)?.[1];
  if (!csrf) throw new Error('no CSRF token on the page');
  return { agent, csrf };
}

describe('a damaged sealed password', () => {
  it('when bits of the sealed password in state.json are flipped (seeded sample), then the module still starts, degraded with SECRET_UNREADABLE and the same contra-chave', async () => {
    h = await startHarness({ files: [CERTS.legacy.file] });
    await request(h.app).post(`${BASE}/api/enable`).set(bearer).send(enableBody).expect(200);
    const contraChave = h.rnds.status().contraChave;
    await h.rnds.close();
    const stateFile = path.join(h.dataDir, 'state.json');
    const original = fs.readFileSync(stateFile);
    const text = original.toString('latin1');
    const data = /"data": "([A-Za-z0-9+/=]+)"/.exec(text)!;
    const iv = /"iv": "([A-Za-z0-9+/=]+)"/.exec(text)!;
    const start = (m: RegExpExecArray) => m.index + m[0].length - m[1]!.length - 1;
    // Seeded sample: a quote, a backslash, a control character, a byte above 0x7f, and plain base64 changes.
    let seed = 20261201;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const flips: Array<[number, number]> = [];
    for (let i = 0; i < 6; i++) {
      const m = i % 2 === 0 ? data : iv;
      flips.push([start(m) + Math.floor(random() * (m[1]!.length - 2)), Math.floor(random() * 8)]);
    }
    flips.push([start(data), 7]);

    for (const [offset, bit] of flips) {
      const flipped = Buffer.from(original);
      flipped[offset] = flipped[offset]! ^ (1 << bit);
      fs.writeFileSync(stateFile, flipped);

      const rnds = await createRndsModule({ chavesDir: h.chavesDir, dataDir: h.dataDir, accessToken: TOKEN });
      try {
        const status = rnds.status();
        expect(status.contraChave).toBe(contraChave);
        expect(status.enabled?.file).toBe(CERTS.legacy.file);
        expect(status.state).toBe('degraded');
        expect(status.problems).toEqual([expect.objectContaining({ code: 'SECRET_UNREADABLE', message: expect.stringMatching(/reinforme a senha/) })]);
      } finally {
        await rnds.close();
      }
    }
    // And the flips that break the JSON itself inside the seal: one bit turns '2' or 'b' into a quote, 'L', 'T' or 'X'
    // into a backslash, 'J' into a newline. Which of those letters a seal holds depends on its random IV, so each damage
    // is written at a fixed place in both fields: the same cases on every run.
    for (const m of [data, iv]) {
      for (const broken of [0x22, 0x5c, 0x0a]) {
        const flipped = Buffer.from(original);
        flipped[start(m) + 1] = broken;
        // A backslash breaks the JSON only before a letter that is no escape: the seal's next letter is random (it may be
        // b, f, n, r, t, u or /), so it is set to one that never is.
        if (broken === 0x5c) flipped[start(m) + 2] = 0x41;
        fs.writeFileSync(stateFile, flipped);
        expect(() => JSON.parse(flipped.toString('utf8'))).toThrow();
        const rnds = await createRndsModule({ chavesDir: h.chavesDir, dataDir: h.dataDir, accessToken: TOKEN });
        try {
          expect(rnds.status()).toMatchObject({ contraChave, enabled: { file: CERTS.legacy.file }, state: 'degraded', problems: [{ code: 'SECRET_UNREADABLE' }] });
        } finally {
          await rnds.close();
        }
      }
    }
    fs.writeFileSync(stateFile, original);
    h = await restart(h);
    expect(h.rnds.status().state).toBe('enabled');
  });
});

describe('secret.key deleted while running', () => {
  it('when secret.key is deleted and the certificate is enabled again, then after a restart it is enabled, not degraded', async () => {
    h = await startHarness({ files: [CERTS.legacy.file] });
    await request(h.app).post(`${BASE}/api/enable`).set(bearer).send(enableBody).expect(200);
    const keyFile = path.join(h.dataDir, 'secret.key');
    fs.rmSync(keyFile);

    // The Status says it at once: after a restart the stored password would be lost.
    const degraded = await request(h.app).get(`${BASE}/api/status`).set(bearer).expect(200);
    expect(degraded.body.state).toBe('degraded');
    expect(degraded.body.problems).toEqual([expect.objectContaining({ code: 'SECRET_UNREADABLE', message: expect.stringContaining(keyFile) })]);
    const enabled = await request(h.app).post(`${BASE}/api/enable`).set(bearer).send(enableBody).expect(200);
    expect(enabled.body.state).toBe('enabled');
    expect(fs.statSync(keyFile).size).toBe(32);

    h = await restart(h);

    expect(h.rnds.status()).toMatchObject({ state: 'enabled', problems: [] });
  });
});

describe.skipIf(!posix)('a refused secret.key (mode 0644)', () => {
  it('when the key is readable by others, then Status carries its chmod advice, enabling answers 409 (API and form) and nothing changes; fixed, it works without a restart', async () => {
    h = await startHarness({ files: [CERTS.legacy.file] });
    await request(h.app).post(`${BASE}/api/enable`).set(bearer).send(enableBody).expect(200);
    const keyFile = path.join(h.dataDir, 'secret.key');
    const stateFile = path.join(h.dataDir, 'state.json');
    fs.chmodSync(keyFile, 0o644);
    const stateBefore = fs.readFileSync(stateFile);

    const status = await request(h.app).get(`${BASE}/api/status`).set(bearer).expect(200);
    expect(status.body.state).toBe('degraded');
    expect(status.body.problems).toEqual([
      expect.objectContaining({ code: 'SECRET_UNREADABLE', message: expect.stringContaining(`chmod 600 ${keyFile}`) }),
    ]);

    const api = await request(h.app).post(`${BASE}/api/enable`).set(bearer).send(enableBody).expect(409);
    expect(api.body.error).toMatchObject({ code: 'SECRET_KEY_UNUSABLE', message: expect.stringContaining(`chmod 600 ${keyFile}`) });

    const { agent, csrf } = await loggedIn(h);
    const form = await agent
      .post(`${BASE}/habilitar`)
      .type('form')
      .send({ _csrf: csrf, ...enableBody, services: 'RNDS' })
      .expect(303);
    expect(form.headers.location).toBe(`${BASE}/`);
    const page = await agent.get(`${BASE}/`).expect(200);
    expect(page.text).toContain(`chmod 600 ${keyFile}`);
    expect(page.text).not.toContain(CERTS.legacy.password);
    expect(fs.readFileSync(stateFile)).toEqual(stateBefore);
    expect(fs.statSync(keyFile).mode & 0o777).toBe(0o644);

    fs.chmodSync(keyFile, 0o600);

    expect(h.rnds.status()).toMatchObject({ state: 'enabled', problems: [] });
    await request(h.app).post(`${BASE}/api/enable`).set(bearer).send(enableBody).expect(200);
  });
});
