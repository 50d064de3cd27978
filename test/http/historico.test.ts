/**
 * Issue 21 §5: the Histórico page and its CSV over HTTP — who may read them, the period, PEC's CSV conventions read
 * back by a real CSV parser, damaged trails, and no password, CSRF token or session id anywhere in what is answered.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse } from 'csv-parse/sync';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { SESSION_COOKIE } from '../../module/http/sessions.js';
import { AuditTrail } from '../../module/state/index.js';
import { BASE, CERTS, TOKEN, bearer, encodings, enableForm, startHarness, type Harness } from '../support/harness.js';

const MONITORING = 'monitoramento-central-0123456789abcdef';
const WRONG_PASSWORD = 'Outra#Senha-Errada-987';
const NOW = new Date('2026-03-20T15:45:00Z'); // 12:45 in Brasília

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** A logged-in browser: its session cookie (name=value) and the screen's CSRF token. */
async function login(harness: Harness) {
  const entrar = await request(harness.app).get(`${BASE}/entrar?token=${TOKEN}`).expect(303);
  const cookie = [entrar.headers['set-cookie']].flat().map(String).find((c) => c.startsWith(`${SESSION_COOKIE}=`))?.split(';')[0];
  if (!cookie) throw new Error('no session cookie');
  const screen = await request(harness.app).get(`${BASE}/`).set('Cookie', cookie).expect(200);
  const csrf = /name="csrf-token" content="([^"]+)"/.exec(screen.text)?.[1];
  if (!csrf) throw new Error('no CSRF token');
  return { cookie, csrf, get: (path: string) => request(harness.app).get(`${BASE}${path}`).set('Cookie', cookie) };
}

/** The answer's body as the bytes sent (supertest would decode text). */
function bytes(test: request.Test): request.Test {
  return test.buffer(true).parse((res, done) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => done(null, Buffer.concat(chunks)));
  });
}

const csvRows = (body: Buffer): string[][] => parse(body, { delimiter: ';', bom: true, relax_column_count: true, skip_empty_lines: true });
/** The data rows of the history CSV (below its header row). */
const dataRows = (body: Buffer) => {
  const rows = csvRows(body);
  const header = rows.findIndex((r) => r[0] === 'Data e hora');
  expect(header).toBeGreaterThan(0);
  return rows.slice(header + 1);
};
/** The rows of the page's table: the text of each cell. */
const tableRows = (html: string): string[][] =>
  [...(/<tbody>([\s\S]*?)<\/tbody>/.exec(html)?.[1] ?? '').matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map((row) =>
    [...row[1]!.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((cell) => cell[1]!.replace(/<[^>]+>/g, '').trim()),
  );

describe('who may read the history', () => {
  it('when nobody is logged in, a wrong token or the monitoring token asks, then the page and the CSV are refused', async () => {
    h = await startHarness({ monitoringToken: MONITORING });
    await new AuditTrail(h.dataDir).append({ action: 'disable', actor: 'maria', file: 'segredo-do-municipio.pfx' });

    for (const path of ['/historico', '/historico.csv']) {
      const anonymous = await request(h.app).get(`${BASE}${path}`).set('Accept', 'text/html');
      expect(anonymous.status).toBe(200);
      expect(anonymous.text).toContain('Token de acesso'); // the login page
      const wrong = await request(h.app).get(`${BASE}${path}`).set('Authorization', 'Bearer errado-0123456789abcdef').set('Accept', 'application/json');
      expect(wrong.status).toBe(401);
      expect(wrong.body.error.code).toBe('UNAUTHENTICATED');
      const monitor = await request(h.app).get(`${BASE}${path}`).set('Authorization', `Bearer ${MONITORING}`).set('Accept', 'application/json');
      expect(monitor.status).toBe(403);
      expect(monitor.body.error.code).toBe('FORBIDDEN');
      for (const refused of [anonymous, wrong, monitor]) expect(refused.text).not.toContain('segredo-do-municipio');
    }
  });

  it('when an API client has the access token, then it may export the CSV', async () => {
    h = await startHarness();
    await new AuditTrail(h.dataDir).append({ action: 'disable', actor: 'maria', file: 'municipio.pfx' });

    const res = await bytes(request(h.app).get(`${BASE}/historico.csv`).set(bearer)).expect(200);

    expect(dataRows(res.body as Buffer).map((r) => r.slice(1, 3))).toEqual([['RNDS desabilitado', 'municipio.pfx']]);
  });
});

describe('the history of a real journey', () => {
  it('when the contra-chave is set, a wrong password is tried, the certificate enabled and RNDS disabled, then the page and the CSV list them newest first, with no password anywhere', async () => {
    h = await startHarness({ files: [CERTS.legacy.file] });
    const admin = await login(h);
    const post = (path: string, form: object) => request(h!.app).post(`${BASE}${path}`).set('Cookie', admin.cookie).type('form').send(form);

    await post('/contra-chave', { _csrf: admin.csrf, contraChave: 'abcd-abcd-abcd-abcd-abcd-abcd-abcd-abcd' }).expect(303);
    await post('/habilitar', enableForm(admin.csrf, WRONG_PASSWORD)).expect(303);
    await post('/habilitar', enableForm(admin.csrf)).expect(303);
    expect(h.rnds.status().state).toBe('enabled');
    await post('/desabilitar', { _csrf: admin.csrf }).expect(303);
    expect(h.rnds.status().state).toBe('disabled');

    const page = await admin.get('/historico').expect(200).expect('Content-Type', /text\/html/);
    const rows = tableRows(page.text);
    expect(rows.map((r) => r[1])).toEqual(['RNDS desabilitado', 'Certificado habilitado', 'Tentativa de habilitação recusada: senha incorreta', 'Contra-chave alterada']);
    expect(rows[1]).toEqual([expect.stringMatching(/^\d{2}\/\d{2}\/\d{4} \d{2}:\d{2}$/), 'Certificado habilitado', CERTS.legacy.file, 'Identificador solicitante 3167', expect.stringMatching(/^sessão \(.+\)$/)]);
    expect(rows[3]![3]).toContain('para abcd-abcd-abcd-abcd-abcd-abcd-abcd-abcd (informada na tela)');
    expect(page.text).toContain('4 eventos (todo o histórico)');

    const csv = await bytes(admin.get('/historico.csv')).expect(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.headers['content-disposition']).toMatch(/^attachment; filename="historico-rnds-\d{4}-\d{2}-\d{2}-\d{4}\.csv"$/);
    expect(csv.headers['cache-control']).toBe('no-store');
    const body = csv.body as Buffer;
    expect([...body.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = body.toString('utf8');
    expect(text.split('\n').slice(0, -1).every((l) => l.endsWith('\r'))).toBe(true);
    expect(text.endsWith('\r\n')).toBe(true);
    expect(csvRows(body).slice(0, 5).map((r) => r[0])).toEqual(['e-SUS - Atenção Primária', 'MINISTÉRIO DA SAÚDE', 'FILTROS', 'Histórico de certificados da RNDS', 'Gerado em']);
    expect(dataRows(body)).toEqual(rows);

    const cookieValue = admin.cookie.slice(SESSION_COOKIE.length + 1);
    const sessionId = decodeURIComponent(cookieValue).split('.')[0]!;
    for (const answer of [Buffer.from(page.text), body]) {
      for (const secret of [CERTS.legacy.password, WRONG_PASSWORD]) {
        for (const encoded of encodings(secret)) expect(answer.includes(encoded), `${secret} in an answer`).toBe(false);
      }
      expect(answer.includes(TOKEN)).toBe(false);
    }
    for (const secret of [admin.csrf, cookieValue, sessionId]) expect(body.includes(secret), 'session data in the CSV').toBe(false);
  });
});

describe('the period', () => {
  /** Records on both sides of midnight in Brasília (UTC−3), appended in time order. */
  async function trail(): Promise<Harness> {
    h = await startHarness({ now: () => NOW, timeZone: 'America/Sao_Paulo' });
    const audit = new AuditTrail(h.dataDir);
    const at = (iso: string, file: string) => audit.append({ action: 'enable', actor: 'maria', file, at: iso });
    await at('2026-02-28T02:59:00.000Z', 'a.pfx'); // 27/02 23:59
    await at('2026-03-01T02:30:00.000Z', 'b.pfx'); // 28/02 23:30
    await at('2026-03-01T03:00:00.000Z', 'c.pfx'); // 01/03 00:00
    await at('2026-03-02T03:00:00.000Z', 'd.pfx'); // 02/03 00:00
    return h;
  }

  it('when de and ate are given, then the page and the CSV hold the events of those days in the installation zone', async () => {
    const admin = await login(await trail());

    const page = await admin.get('/historico?de=2026-02-28&ate=2026-03-01').expect(200);
    const csv = await bytes(admin.get('/historico.csv?de=28/02/2026&ate=2026-03-01')).expect(200);

    expect(tableRows(page.text).map((r) => [r[0], r[2]])).toEqual([
      ['01/03/2026 00:00', 'c.pfx'],
      ['28/02/2026 23:30', 'b.pfx'],
    ]);
    expect(page.text).toContain('value="2026-02-28"');
    expect(page.text).toContain('value="2026-03-01"');
    expect(dataRows(csv.body as Buffer).map((r) => r[2])).toEqual(['c.pfx', 'b.pfx']);
    expect(csvRows(csv.body as Buffer).slice(2, 5)).toEqual([
      ['FILTROS', 'Período: de 28/02/2026 até 01/03/2026'],
      ['Histórico de certificados da RNDS'],
      ['Gerado em', '20/03/2026', 'às', '12:45', 'por', expect.stringMatching(/^sessão \(/)],
    ]);
    expect(csv.headers['content-disposition']).toBe('attachment; filename="historico-rnds-2026-03-20-1245.csv"');
  });

  it('when a date is not a day or the end is before the start, then the page comes back 400 with the error by its field and the CSV is not made', async () => {
    const admin = await login(await trail());

    const invalid = await admin.get('/historico?de=31/02/2026').expect(400);
    const reversed = await admin.get('/historico.csv?de=2026-03-02&ate=2026-03-01').expect(400).expect('Content-Type', /text\/html/);

    expect(invalid.text).toMatch(/id="erro-de" role="alert"|role="alert" id="erro-de"/);
    expect(invalid.text).toContain('Data inicial inválida');
    expect(invalid.text).toContain('value="31/02/2026"');
    expect(invalid.text).toMatch(/id="historico-de"[^>]*aria-invalid="true"/);
    expect(tableRows(invalid.text)).toEqual([]);
    expect(reversed.text).toContain('A data final é anterior à inicial');
    expect(reversed.headers['content-disposition']).toBeUndefined();
  });

  it('when a period has no events, then the page says so and the CSV is the header block alone', async () => {
    const admin = await login(await trail());

    const page = await admin.get('/historico?de=2026-01-01&ate=2026-01-31').expect(200);
    const csv = await bytes(admin.get('/historico.csv?de=2026-01-01&ate=2026-01-31')).expect(200);

    expect(page.text).toContain('Nenhum evento de 01/01/2026 até 31/01/2026');
    expect(dataRows(csv.body as Buffer)).toEqual([]);
  });
});

describe('a long or damaged trail', () => {
  it('when the trail holds 120 events and damaged lines, then the page shows the latest 50 and the CSV all 120, the damage skipped', async () => {
    h = await startHarness({ now: () => NOW });
    const audit = new AuditTrail(h.dataDir);
    for (let i = 0; i < 120; i++) {
      await audit.append({ action: i % 2 ? 'disable' : 'enable', actor: 'maria', file: `f${i}.pfx`, at: new Date(Date.UTC(2026, 0, 1, 12) + i * 3_600_000).toISOString() });
      if (i === 60) fs.appendFileSync(audit.file, '{"at":"2026-01-03T12:00:00.000Z","action":"ena\nlixo \u0000\u0001\n\n');
    }
    fs.appendFileSync(audit.file, '{"at":"2026-03-19T12:00:00.000Z","action":"disable","act'); // torn last write
    const admin = await login(h);

    const page = await admin.get('/historico').expect(200);
    const csv = await bytes(admin.get('/historico.csv')).expect(200);

    const rows = tableRows(page.text);
    expect(rows).toHaveLength(50);
    expect(rows[0]![2]).toBe('f119.pfx');
    expect(rows[49]![2]).toBe('f70.pfx');
    expect(page.text).toContain('Os 50 eventos mais recentes (todo o histórico)');
    const all = dataRows(csv.body as Buffer);
    expect(all).toHaveLength(120);
    expect(all.map((r) => r[2])).toEqual(Array.from({ length: 120 }, (_, i) => `f${119 - i}.pfx`));
  });

  // /proc/self/fd tells which files the process holds open.
  it.skipIf(process.platform !== 'linux')('when the client leaves in the middle of a long CSV, then the trail is closed and nothing is logged as an error', async () => {
    h = await startHarness();
    const audit = new AuditTrail(h.dataDir);
    const record = (i: number) => JSON.stringify({ at: new Date(Date.UTC(2020, 0, 1) + i * 60_000).toISOString(), action: 'enable', actor: 'maria', file: `municipio-${i}.pfx`, description: 'x' });
    // ~10 MB of CSV: far more than the socket buffers hold, so the answer waits on the reader (backpressure).
    fs.writeFileSync(audit.file, Array.from({ length: 100_000 }, (_, i) => record(i)).join('\n') + '\n');
    const server = http.createServer(h.app).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const auditOpen = () =>
      fs.readdirSync('/proc/self/fd').some((fd) => {
        try {
          return fs.readlinkSync(`/proc/self/fd/${fd}`) === audit.file;
        } catch {
          return false;
        }
      });
    try {
      const { port } = server.address() as AddressInfo;
      const openWhileStreaming = await new Promise<boolean>((resolve, reject) => {
        const req = http.get({ port, host: '127.0.0.1', path: `${BASE}/historico.csv`, headers: bearer }, (res) => {
          let received = 0;
          res.on('data', (chunk: Buffer) => {
            received += chunk.length;
            // Past the header block and well into the rows, far from the end.
            if (received < 1_000_000 || req.destroyed) return;
            const open = auditOpen();
            req.destroy();
            resolve(open);
          });
        });
        req.on('error', (error) => (error.message === 'socket hang up' ? undefined : reject(error)));
      });

      expect(openWhileStreaming).toBe(true); // still reading when the client left
      await h.waitFor(() => !auditOpen(), 'the trail closed after the client left');
      expect(h.logs.filter((line) => line.includes('Erro inesperado'))).toEqual([]);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('when nothing was ever recorded, then the page says what will appear and the CSV has the header block', async () => {
    h = await startHarness();
    const admin = await login(h);

    const page = await admin.get('/historico').expect(200);
    const csv = await bytes(admin.get('/historico.csv')).expect(200);

    expect(page.text).toContain('Nenhum evento registrado ainda');
    expect(dataRows(csv.body as Buffer)).toEqual([]);
  });

  it('when the screen is opened, then it links to the history', async () => {
    h = await startHarness();
    const admin = await login(h);

    const screen = await admin.get('/').expect(200);

    expect(screen.text).toContain(`href="${BASE}/historico" id="link-historico"`);
  });
});
