/**
 * What the standalone server loads at start and what only its first use loads (issue 14): a real `node
 * dist/scripts/serve.js` with a loader hook that records every module it (and its certificate worker) loads. At idle,
 * with a real certificate listed, nothing for later is loaded; each first use loads its own part.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from './support/files.js';
import { CERTS, FIXTURES } from './support/harness.js';
import { ROOT, compiled, waitForLine } from './support/spawn.js';

const ACCESS = 'token-de-acesso-do-teste-0123456789abcdef';
const auth = { Authorization: `Bearer ${ACCESS}` };
/** Packages only a later request needs, with what first needs them. */
const LATER = ['express-rate-limit', 'node-forge', 'prom-client', 'nodemailer'];

let child: ChildProcess | undefined;
let work: string | undefined;
afterEach(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  child = undefined;
  if (work) fs.rmSync(work, { recursive: true, force: true });
  work = undefined;
});

function loadedPackages(file: string): Set<string> {
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  return new Set([...text.matchAll(/node_modules\/((?:@[^/]+\/)?[^/]+)\//g)].map((m) => m[1]!));
}

describe('the standalone server loads at start only what start needs', () => {
  it('when it idles with a certificate listed, then rate limiting, forge, metrics and e-mail are not loaded; the first login page, scrape and enable load each; SQLite only the first report', async () => {
    work = tempDir('pec-rnds-loads-');
    const chaves = path.join(work, 'chaves');
    fs.mkdirSync(chaves);
    fs.copyFileSync(path.join(FIXTURES, CERTS.aes.file), path.join(chaves, CERTS.aes.file));
    const record = path.join(work, 'loaded.txt');
    child = spawn(process.execPath, ['--import', compiled('test/support/child/record-loads.ts'), compiled('scripts/serve.ts')], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: work,
        PORT: '0',
        HOST: '127.0.0.1',
        RNDS_CHAVES_DIR: chaves,
        RNDS_DATA_DIR: path.join(work, 'data'),
        RNDS_ACCESS_TOKEN: ACCESS,
        RNDS_CONNECTION_CHECK_MINUTES: '0',
        RECORD_LOADS: record,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const line = await waitForLine(child, /^Tela:/, 60_000);
    const base = /(http:\/\/\S+?)\/?$/.exec(line.replace(/^Tela:\s*/, ''))![1]!;

    // Listed and hashed, as an administrator first sees it.
    for (let polls = 0; ; polls++) {
      const body = (await (await fetch(`${base}/api/certificates`, { headers: auth })).json()) as { certificates: Array<{ status: string; sha256?: string }> };
      if (body.certificates.length === 1 && body.certificates[0]!.status === 'ready') break;
      expect(polls, 'the certificate never became ready').toBeLessThan(2000);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect((await fetch(`${base}/api/status`, { headers: auth })).status).toBe(200);
    const idle = loadedPackages(record);
    expect(idle.has('express'), 'the recorder sees packages').toBe(true);
    for (const name of LATER) expect(idle.has(name), `${name} loaded at idle`).toBe(false);

    expect((await fetch(`${base}/entrar`)).status).toBe(200);
    expect(loadedPackages(record).has('express-rate-limit')).toBe(true);

    const metrics = await fetch(`${base}/metrics`, { headers: auth });
    expect(metrics.status).toBe(200);
    const scraped = await metrics.text();
    expect(scraped).toContain('pec_rnds_');
    expect(loadedPackages(record).has('prom-client')).toBe(true);
    // The sends' series are there at 0, read from memory: the scrape neither loads SQLite nor creates the database.
    expect(scraped).toMatch(/^pec_rnds_sends_total\{model="RAC",status="ENVIADO"\} 0$/m);
    expect(loadedPackages(record).has('node-sqlite3-wasm'), 'node-sqlite3-wasm loaded by a scrape').toBe(false);
    expect(fs.existsSync(path.join(work, 'data', 'sends.sqlite'))).toBe(false);

    const enable = await fetch(`${base}/api/enable`, {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/json' },
      body: JSON.stringify({ file: CERTS.aes.file, password: CERTS.aes.password, identificadorSolicitante: '3167' }),
    });
    expect(enable.status, await enable.clone().text()).toBe(200);
    expect(loadedPackages(record).has('node-forge')).toBe(true);
    // No alert channel configured: e-mail is never needed.
    expect(loadedPackages(record).has('nodemailer')).toBe(false);

    // The first report loads SQLite (so the recorder would have seen it at the scrape above).
    const reported = await fetch(`${base}/api/envios`, {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/json' },
      body: JSON.stringify({ envios: [{ at: '2026-12-03T10:00:00Z', model: 'RAC', recordId: 'r1', httpStatus: 201 }] }),
    });
    expect(reported.status, await reported.clone().text()).toBe(200);
    expect(loadedPackages(record).has('node-sqlite3-wasm')).toBe(true);
    expect(await (await fetch(`${base}/metrics`, { headers: auth })).text()).toMatch(/^pec_rnds_sends_total\{model="RAC",status="ENVIADO"\} 1$/m);
  });
});
