/**
 * Names and actors shown to people go through the one escaping rule (module/present/names.ts) everywhere: the screen, the
 * logs, `npm run status` and audit.jsonl; only real IP addresses become actors; NFC/NFD twins cannot be chosen.
 */
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { hasUnsafeChars } from '../../module/present/index.js';
import { collectStatusReport } from '../../scripts/lib/status-check.js';
import { renderHuman, renderJson } from '../../scripts/lib/status-render.js';
import { BASE, CERTS, TOKEN, bearer, startHarness, type Harness } from '../support/harness.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const LINE_SEPARATOR_NAME = 'linha\u2028nova.pfx';
const PARAGRAPH_NAME = 'par\u2029agrafo\u0085.p12';

function auditLines(dataDir: string): string[] {
  const text = fs.readFileSync(path.join(dataDir, 'audit.jsonl'), 'utf8');
  return text.split('\n').filter((line) => line !== '');
}

async function statusCli(harness: Harness): Promise<{ human: string; json: string }> {
  const report = await collectStatusReport({ env: { RNDS_DATA_DIR: harness.dataDir, RNDS_CHAVES_DIR: harness.chavesDir }, serverCheck: false });
  return { human: renderHuman(report), json: renderJson(report) };
}

describe('one escaping rule for every name and actor shown', () => {
  it('when a host authorize() names the actor with U+2028, C1 and bidi characters and files carry separators, then logs, audit.jsonl, the screen and npm run status show them escaped', async () => {
    const actor = 'maria\u2028[INFO] admin\u0085\u202Eoiram';
    h = await startHarness({ files: [CERTS.legacy.file], authorize: () => actor });
    const hostAuth = { Authorization: 'Bearer do-sistema-hospedeiro' };
    h.drop(CERTS.aes.file, LINE_SEPARATOR_NAME);
    h.drop(CERTS.aes.file, PARAGRAPH_NAME);
    await h.waitFor(() => h.rnds.status().certificates.length === 3, 'three files');

    // A name with a line separator cannot be chosen (and its failure is audited); the plain one is enabled.
    const refused = await request(h.app).post(`${BASE}/api/enable`).set(hostAuth).send({ file: LINE_SEPARATOR_NAME, password: CERTS.aes.password, identificadorSolicitante: '3167' }).expect(404);
    expect(refused.body.error.message).toContain('linha\\u{2028}nova.pfx');
    await request(h.app)
      .post(`${BASE}/api/enable`)
      .set(hostAuth)
      .send({ file: CERTS.legacy.file, password: CERTS.legacy.password, identificadorSolicitante: '3167' })
      .expect(200);
    await request(h.app).post(`${BASE}/api/disable`).set(hostAuth).expect(200);
    const page = await request(h.app).get(`${BASE}/`).set('Accept', 'text/html').expect(200);
    const cli = await statusCli(h);

    // audit.jsonl: one record per line for any reader, values kept exactly, no raw separator or control.
    const auditText = fs.readFileSync(path.join(h.dataDir, 'audit.jsonl'), 'utf8');
    expect(hasUnsafeChars(auditText.replaceAll('\n', ''))).toBe(false);
    expect(auditText.split(/\r\n|\r|\n|\u2028|\u2029|\u0085/).filter(Boolean)).toHaveLength(3);
    const records = auditLines(h.dataDir).map((line) => JSON.parse(line) as { action: string; actor: string; file?: string });
    expect(records.map((r) => r.action)).toEqual(['enable-failed', 'enable', 'disable']);
    expect(records[0]!.file).toBe(LINE_SEPARATOR_NAME);
    for (const record of records) expect(record.actor).toBe('maria\\u{2028}[INFO] admin\\u{0085}\\u{202E}oiram');

    // Logs: the actor escaped, each message one line.
    expect(h.logs.filter((line) => line.includes('RNDS'))).toHaveLength(2);
    for (const line of h.logs) expect(hasUnsafeChars(line)).toBe(false);

    // The screen: displayed names escaped by the server; the browser script only swaps what the server rendered.
    expect(page.text).not.toContain('data-unsafe-chars');
    expect(hasUnsafeChars(page.text.replace(/value="[^"]*"/g, '').replace(/[\n\r\t]/g, ''))).toBe(false);
    expect(page.text).toContain('linha\\u{2028}nova.pfx');
    expect(page.text).toContain('par\\u{2029}agrafo\\u{0085}.p12');

    // npm run status, human and JSON.
    for (const text of [cli.human, cli.json]) expect(hasUnsafeChars(text.replaceAll('\n', ''))).toBe(false);
    expect(cli.human).toContain('linha\\u{2028}nova.pfx');
    expect(JSON.parse(cli.json).certificates.map((e: { file: string }) => e.file)).toContain(LINE_SEPARATOR_NAME);
  });

  it('when X-Forwarded-For carries text instead of an address behind a trusted proxy, then the actor says the address is unknown; a real address is kept', async () => {
    h = await startHarness({ files: [CERTS.legacy.file], trustProxy: true });
    const body = { file: CERTS.legacy.file, password: 'errada', identificadorSolicitante: '3167' };

    await request(h.app).post(`${BASE}/api/enable`).set(bearer).set('X-Forwarded-For', 'admin\u0085[OK] forjado').send(body).expect(422);
    await request(h.app).post(`${BASE}/api/enable`).set(bearer).set('X-Forwarded-For', '127.0.0.9').send(body).expect(422);

    const actors = auditLines(h.dataDir).map((line) => (JSON.parse(line) as { actor: string }).actor);
    expect(actors).toEqual(['token (endereço desconhecido)', 'token (127.0.0.9)']);
  });
});

describe('names that look identical (NFC/NFD twins)', () => {
  const nfc = 'A\u00e7\u00e3o.pfx';
  const nfd = 'Ac\u0327a\u0303o.pfx';

  it('when açã.pfx is in the folder twice (NFC and NFD), then neither can be enabled, the screen and the CLI flag both, and once one is removed the other works', async () => {
    h = await startHarness();
    h.drop(CERTS.legacy.file, nfc);
    h.drop(CERTS.aes.file, nfd);
    await h.waitFor(() => h.rnds.status().certificates.filter((e) => e.status === 'ready').length === 2, 'both ready');
    const stateFile = path.join(h.dataDir, 'state.json');
    const before = fs.readFileSync(stateFile);

    for (const file of [nfc, nfd]) {
      const res = await request(h.app).post(`${BASE}/api/enable`).set(bearer).send({ file, password: CERTS.legacy.password, identificadorSolicitante: '3167' }).expect(404);
      expect(res.body.error).toMatchObject({ code: 'CERTIFICATE_NOT_FOUND', message: expect.stringMatching(/dois arquivos cujo nome aparece como .*renomeie ou remova um deles/) });
    }
    expect(fs.readFileSync(stateFile)).toEqual(before);
    const agent = request.agent(h.app);
    await agent.get(`${BASE}/entrar?token=${TOKEN}`).expect(303);
    const page = await agent.get(`${BASE}/`).expect(200);
    const options = [...page.text.matchAll(/<option value="([^"]+\.pfx)"( disabled)?>([^<]*)<\/option>/g)];
    expect(options).toHaveLength(2);
    for (const option of options) {
      expect(option[2]).toBe(' disabled');
      expect(option[3]).toContain('outro arquivo tem o mesmo nome aparente: renomeie um deles');
    }
    expect((await statusCli(h)).human.match(/outro arquivo tem o mesmo nome aparente/g)).toHaveLength(2);

    fs.rmSync(path.join(h.chavesDir, nfd));
    await h.waitFor(() => h.rnds.status().certificates.length === 1, 'twin removed');
    await request(h.app).post(`${BASE}/api/enable`).set(bearer).send({ file: nfc, password: CERTS.legacy.password, identificadorSolicitante: '3167' }).expect(200);
  });
});
