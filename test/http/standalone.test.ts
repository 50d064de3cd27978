import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { CERTS, FIXTURES, tempDir } from '../support/harness.js';
import { ROOT, compiled } from '../support/spawn.js';
import { HANG_MS } from '../support/wait.js';
import { createTestCertificate } from '../../scripts/lib/test-certificate.js';

/** For tests that wait on a child's exit event: no wall-clock budget a loaded machine can hit. */
const NO_TIMEOUT = 0;
const children: ChildProcess[] = [];
const dirs: string[] = [];

afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** Spawns `npm start`'s script (compiled) on a free loopback port, collecting everything it prints. */
function spawnServe(env: Record<string, string>, nodeArgs: string[] = []): { child: ChildProcess; out: () => string } {
  const child = spawn(process.execPath, [...nodeArgs, compiled('scripts/serve.ts')], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let printed = '';
  child.stdout!.on('data', (d) => (printed += d));
  child.stderr!.on('data', (d) => (printed += d));
  return { child, out: () => printed };
}

/** Starts `npm start`'s script (compiled) and waits for its banner. */
function serve(env: Record<string, string>, nodeArgs: string[] = []): Promise<{ child: ChildProcess; out: () => string; url: string; login: string }> {
  const { child, out } = spawnServe(env, nodeArgs);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner:\n${out()}`)), HANG_MS);
    const check = () => {
      const url = /Tela:\s+(\S+)/.exec(out())?.[1];
      const login = /Entrar:\s+(\S+)/.exec(out())?.[1];
      // The banner's last line: each console.log is its own write, so the lines before it may come in earlier chunks.
      if (url && login && /Contra-chave:.*\n/.test(out())) {
        clearTimeout(timer);
        resolve({ child, out, url, login });
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(Object.assign(new Error(`exited ${code}:\n${out()}`), { out: out(), code }));
    });
  });
}

/** Starts `npm start`'s script expecting it to refuse: waits for its exit (no timer) and returns what it printed. */
function serveRefused(env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  const { child, out } = spawnServe(env);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, out: out() }));
  });
}

function setup() {
  const root = tempDir();
  dirs.push(root);
  const chaves = path.join(root, 'chaves');
  fs.mkdirSync(chaves);
  fs.copyFileSync(path.join(FIXTURES, CERTS.legacy.file), path.join(chaves, CERTS.legacy.file));
  return { root, chaves, data: path.join(root, 'data') };
}

describe('npm start (standalone)', () => {
  it('when RNDS_CONTRA_CHAVE is not set, then the start line says the contra-chave shown is a test value and where to find the real one', async () => {
    const { chaves, data } = setup();
    const { out } = await serve({ RNDS_CHAVES_DIR: chaves, RNDS_DATA_DIR: data, RNDS_CONTRA_CHAVE: '' });

    expect(out()).toMatch(/Contra-chave:\s+[0-9a-f-]{39} — GERADA PARA TESTE, não é a desta instalação\. Informe a contra-chave do PEC \(Gestão municipal › Certificados/);
  });

  it('when RNDS_CONTRA_CHAVE is set with spaces, then the start line, /api/status and the state use it formatted, origin "instalacao"', async () => {
    const { chaves, data } = setup();
    const { out, url } = await serve({ RNDS_CHAVES_DIR: chaves, RNDS_DATA_DIR: data, RNDS_ACCESS_TOKEN: 'token-de-teste-0123456789abcdef', RNDS_CONTRA_CHAVE: '0916 0409 8915 9622 2161 0480 1336 1227' });

    const status = await request(url).get('api/status').set({ Authorization: 'Bearer token-de-teste-0123456789abcdef' }).expect(200);

    expect(out()).toMatch(/Contra-chave:\s+0916-0409-8915-9622-2161-0480-1336-1227\n/);
    expect(status.body).toMatchObject({ contraChave: '0916-0409-8915-9622-2161-0480-1336-1227', contraChaveOrigin: 'instalacao' });
  });

  it('when RNDS_CONTRA_CHAVE has the wrong shape, then the start is refused naming the variable and the expected shape', async () => {
    const { chaves, data } = setup();

    const failure = await serve({ RNDS_CHAVES_DIR: chaves, RNDS_DATA_DIR: data, RNDS_CONTRA_CHAVE: '0916-0409' }).catch((e: { out: string }) => e);

    expect((failure as { out: string }).out).toMatch(/RNDS_CONTRA_CHAVE: a contra-chave deve ter o formato xxxx-xxxx-xxxx-xxxx-xxxx-xxxx-xxxx-xxxx/);
  });

  it('when started, then it prints the URL, the login link and both folders, and serves the contract at the base path', async () => {
    const { chaves, data } = setup();
    const { url, login, out, child } = await serve({ RNDS_CHAVES_DIR: chaves, RNDS_DATA_DIR: data, RNDS_BASE_PATH: '/rnds/' });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/rnds\/$/);
    expect(out()).toContain(chaves);
    expect(out()).toContain(data);
    expect(out()).toMatch(/^Estado:\s+desabilitado$/m);

    const token = fs.readFileSync(path.join(data, 'access-token'), 'utf8').trim();
    expect(fs.statSync(path.join(data, 'access-token')).mode & 0o077).toBe(0);
    expect(login).toBe(`${url}entrar?token=${encodeURIComponent(token)}`);

    const origin = new URL(url).origin;
    await request(origin).get('/rnds/health').expect(200, { status: 'ok', rnds: 'disabled' });
    const status = await request(origin).get('/rnds/api/status').set('Authorization', `Bearer ${token}`).expect(200);
    expect(status.body.certificates.map((e: { file: string }) => e.file)).toEqual([CERTS.legacy.file]);
    const agent = request.agent(origin);
    await agent.get(new URL(login).pathname + new URL(login).search).expect(303);
    await agent.get('/rnds/').expect(200);

    const exit = new Promise<number | null>((r) => child.once('exit', r));
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
  });

  it('when used over real HTTP, then the contract holds: list, events, enable, errors, CSRF, disable', async () => {
    const { chaves, data } = setup();
    const { url } = await serve({ RNDS_CHAVES_DIR: chaves, RNDS_DATA_DIR: data, RNDS_BASE_PATH: '/rnds' });
    const token = fs.readFileSync(path.join(data, 'access-token'), 'utf8').trim();
    const origin = new URL(url).origin;
    const auth = { Authorization: `Bearer ${token}` };
    const api = (p: string) => `/rnds/api/${p}`;

    await request(origin).get(api('status')).expect(401);
    await request(origin).post(api('connection-test')).set(auth).expect(409);
    const bad = await request(origin).post(api('enable')).set(auth).send({ file: CERTS.legacy.file, password: 'errada', identificadorSolicitante: '3167' }).expect(422);
    expect(bad.body.error).toMatchObject({ code: 'WRONG_PASSWORD', fields: { password: expect.any(String) } });
    const invalid = await request(origin).post(api('enable')).set(auth).send({ file: CERTS.legacy.file, password: 1 }).expect(400);
    expect(invalid.body.error.code).toBe('INVALID_INPUT');

    // events: the stream announces the enable
    const events = await fetch(`${origin}${api('events')}`, { headers: auth });
    expect(events.headers.get('content-type')).toContain('text/event-stream');
    const reader = events.body!.getReader();
    const ok = await request(origin).post(api('enable')).set(auth).send({ file: CERTS.legacy.file, password: CERTS.legacy.password, identificadorSolicitante: '3167' }).expect(200);
    expect(ok.body).toMatchObject({ state: 'enabled', enabled: { file: CERTS.legacy.file, identificadorSolicitante: '3167' } });
    let text = '';
    while (!text.includes('"state":"enabled"')) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();

    // a cookie session from a foreign origin changes nothing
    const agent = request.agent(origin);
    await agent.get(`/rnds/entrar?token=${encodeURIComponent(token)}`).expect(303);
    await agent.post(api('disable')).set('Origin', 'http://evil.example').expect(403);
    await request(origin).get('/rnds/health').expect(200, { status: 'ok', rnds: 'enabled' });
    await request(origin).post(api('disable')).set(auth).expect(200);
    await request(origin).get('/rnds/health').expect(200, { status: 'ok', rnds: 'disabled' });
  });

  it('when RNDS_ACCESS_TOKEN is set, then that token opens the API and no token file is written', async () => {
    const { chaves, data } = setup();
    const token = 'token-definido-pelo-administrador';
    const { url } = await serve({ RNDS_CHAVES_DIR: chaves, RNDS_DATA_DIR: data, RNDS_ACCESS_TOKEN: token });
    await request(new URL(url).origin).get('/api/status').set('Authorization', `Bearer ${token}`).expect(200);
    expect(fs.existsSync(path.join(data, 'access-token'))).toBe(false);
  });

  it.each([
    ['RNDS_ACCESS_TOKEN changes', 'env'],
    ['the access-token file is deleted', 'file'],
  ])('when %s and the server restarts, then cookies of the old token get the login page and 401 and cannot disable', async (_what, how) => {
    const { chaves, data } = setup();
    const oldToken = 'token-antigo-do-administrador';
    const first = await serve({ RNDS_CHAVES_DIR: chaves, RNDS_DATA_DIR: data, ...(how === 'env' ? { RNDS_ACCESS_TOKEN: oldToken } : {}) });
    const token = how === 'env' ? oldToken : fs.readFileSync(path.join(data, 'access-token'), 'utf8').trim();
    const origin = new URL(first.url).origin;
    const login = await request(origin).get(`/entrar?token=${encodeURIComponent(token)}`).expect(303);
    const cookies = (login.headers['set-cookie'] as unknown as string[]).map((c) => c.split(';')[0]!).join('; ');
    await request(origin).get('/api/status').set('Cookie', cookies).expect(200);
    const exited = new Promise((r) => first.child.once('close', r));
    first.child.kill('SIGTERM');
    await exited;

    if (how === 'file') fs.rmSync(path.join(data, 'access-token'));
    const second = await serve({ RNDS_CHAVES_DIR: chaves, RNDS_DATA_DIR: data, ...(how === 'env' ? { RNDS_ACCESS_TOKEN: 'token-novo-do-administrador' } : {}) });
    const next = new URL(second.url).origin;
    await request(next).get('/api/status').set('Cookie', cookies).expect(401);
    const page = await request(next).get('/').set('Cookie', cookies).expect(200);
    expect(page.text).toContain('name="token"');
    await request(next).post('/api/disable').set('Cookie', cookies).set('Origin', next).expect(401);
    await request(next).get('/health').expect(200, { status: 'ok', rnds: 'disabled' });
  });

  it('when a second server starts on the same data folder, then it refuses with "já em execução"', async () => {
    const { chaves, data } = setup();
    await serve({ RNDS_CHAVES_DIR: chaves, RNDS_DATA_DIR: data });
    const second = await serve({ RNDS_CHAVES_DIR: chaves, RNDS_DATA_DIR: data }).catch((e: { out: string; code: number }) => e);
    expect((second as { code: number }).code).toBe(1);
    expect((second as { out: string }).out).toContain('já em execução');
  });

  it('when an environment variable is invalid, then it refuses to start naming every bad variable', async () => {
    const { chaves, data } = setup();
    const failure = await serveRefused({ RNDS_CHAVES_DIR: chaves, RNDS_DATA_DIR: data, RNDS_AMBIENTE: 'teste', RNDS_UF: 'Minas' });
    expect(failure.code).toBe(1);
    expect(failure.out).toContain('RNDS_AMBIENTE');
    expect(failure.out).toContain('RNDS_UF');
  }, NO_TIMEOUT);

  it('when several variables are wrong, then each gets one pt-BR line saying what it expects, and a secret is never echoed', async () => {
    const { chaves, data } = setup();
    const secret = 'curto-segredo';
    const failure = await serveRefused({ RNDS_CHAVES_DIR: chaves, RNDS_DATA_DIR: data, PORT: 'oitenta', RNDS_POLLING: 'sim', RNDS_ACCESS_TOKEN: secret });
    const lines = failure.out.split('\n').filter((line) => line.startsWith('- '));

    expect(failure.code).toBe(1);
    expect(lines).toEqual([
      expect.stringMatching(/^- PORT \(está "oitenta"\): deve ser um número de porta de 0 a 65535 \(por exemplo PORT=8080/),
      expect.stringMatching(/^- RNDS_ACCESS_TOKEN: deve ter ao menos 16 caracteres/),
      expect.stringMatching(/^- RNDS_POLLING \(está "sim"\): deve ser 1 .* ou 0/),
    ]);
    expect(failure.out).not.toMatch(/Invalid|expected|Too (small|big)/);
    expect(failure.out).not.toContain(secret);
  }, NO_TIMEOUT);

  it('when variables are wrong at different stages (a bad PORT, SMTP without recipients, an unreadable RNDS_CA_FILE), then one start lists them all', async () => {
    const { root, chaves, data } = setup();

    const failure = await serveRefused({
      RNDS_CHAVES_DIR: chaves,
      RNDS_DATA_DIR: data,
      PORT: 'oitenta',
      RNDS_SMTP_URL: 'smtp://127.0.0.1:25',
      RNDS_SMTP_FROM: 'pec@prefeitura.test',
      RNDS_CA_FILE: path.join(root, 'nao-existe.pem'),
    });
    const variables = failure.out.split('\n').filter((line) => line.startsWith('- ')).map((line) => /^- ([A-Za-z_]+)/.exec(line)![1]);

    expect(failure.code).toBe(1);
    expect(variables).toEqual(['PORT', 'RNDS_CA_FILE', 'RNDS_ALERT_EMAILS']);
    expect(failure.out).toContain('não foi possível ler');
    expect(fs.existsSync(data)).toBe(false);
  }, NO_TIMEOUT);

  it('when RNDS_CA_FILE is present but empty, as a service file leaves it, then the server starts as without it', async () => {
    const { chaves, data } = setup();

    const { out } = await serve({ RNDS_CHAVES_DIR: chaves, RNDS_DATA_DIR: data, RNDS_CA_FILE: '' });

    expect(out()).toMatch(/Tela:\s+http:\/\/127\.0\.0\.1:\d+\//);
  });

  it.each([
    ['a promise rejection nobody handles', 'rejection', 'unhandledRejection'],
    ['an exception nobody catches', 'exception', 'uncaughtException'],
  ])('when %s happens in the running server, then it says so in pt-BR, exits 1, and a restart on the same data folder works', async (_what, kind, event) => {
    const { chaves, data } = setup();
    const first = await serve({ RNDS_CHAVES_DIR: chaves, RNDS_DATA_DIR: data, PROVOKE: kind }, ['--import', compiled('test/support/child/provoke-failure.ts')]);
    const exited = new Promise<number | null>((resolve) => first.child.once('close', resolve));

    first.child.kill('SIGUSR2');
    const code = await exited;

    expect(code).toBe(1);
    expect(first.out()).toContain(`[pec-rnds] erro: falha inesperada (${event}), o pec-rnds vai encerrar: Error: falha provocada pelo teste (${kind})`);
    expect(first.out()).toContain('ele é reiniciado sozinho em instantes; se isso se repetir, envie estas linhas ao suporte');
    const restarted = await serve({ RNDS_CHAVES_DIR: chaves, RNDS_DATA_DIR: data });
    expect(restarted.out()).not.toContain('já em execução');
  });

  it('when the port is already taken, then it says so in pt-BR and how to choose another with PORT=', async () => {
    const { chaves, data } = setup();
    const taken = http.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as AddressInfo;
    try {
      const failure = await serveRefused({ RNDS_CHAVES_DIR: chaves, RNDS_DATA_DIR: data, PORT: String(port) });

      expect(failure.code).toBe(1);
      expect(failure.out).toContain(`a porta ${port} já está em uso em 127.0.0.1`);
      expect(failure.out).toContain(`PORT=${port + 1} npm start`);
      expect(failure.out).not.toContain('address already in use');
    } finally {
      await new Promise<void>((resolve) => taken.close(() => resolve()));
    }
  }, NO_TIMEOUT);

  it('when a client sends its body slowly, then the server answers 408 and closes the connection (RNDS_REQUEST_TIMEOUT_SECONDS)', async () => {
    const { chaves, data } = setup();
    const { url } = await serve({ RNDS_CHAVES_DIR: chaves, RNDS_DATA_DIR: data, RNDS_REQUEST_TIMEOUT_SECONDS: '1' });
    const { port } = new URL(url);
    const slowBody = await rawExchange(Number(port), 'POST /api/enable HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"file":');
    expect(slowBody).toMatch(/^HTTP\/1\.1 408 /);
    const slowHeaders = await rawExchange(Number(port), 'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Lento: ');
    expect(slowHeaders).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('when more connections than RNDS_MAX_CONNECTIONS are opened, then the extra one is dropped unanswered and the others work', async () => {
    const { chaves, data } = setup();
    const token = 'token-do-teste-de-conexoes-0123';
    const { url } = await serve({ RNDS_CHAVES_DIR: chaves, RNDS_DATA_DIR: data, RNDS_ACCESS_TOKEN: token, RNDS_MAX_CONNECTIONS: '3' });
    const origin = new URL(url).origin;
    // Three long-lived connections (event streams) take every slot.
    const streams = await Promise.all([1, 2, 3].map(() => fetch(`${origin}/api/events`, { headers: { Authorization: `Bearer ${token}` } })));
    const readers = streams.map((s) => s.body!.getReader());
    await Promise.all(readers.map((r) => r.read()));
    const extra = await rawExchange(Number(new URL(url).port), `GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    expect(extra).toBe(''); // closed without an answer
    await readers[0]!.cancel();
    // The slot frees once the server sees that close, which a loaded machine may take a while to do: ask until it
    // answers (a count of tries would depend on the relative speed of client and server); HANG_MS only turns a
    // slot that never frees into a failure.
    let answer = '';
    const since = Date.now();
    while (!answer && Date.now() - since < HANG_MS) {
      answer = await rawExchange(Number(new URL(url).port), `GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    }
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    for (const r of readers.slice(1)) await r.cancel();
  });

  it('when the Host header names another site (DNS rebinding), then it answers 421; RNDS_ALLOWED_HOSTS and loopback names are answered', async () => {
    const { chaves, data } = setup();
    const { url } = await serve({ RNDS_CHAVES_DIR: chaves, RNDS_DATA_DIR: data, RNDS_ALLOWED_HOSTS: 'pec.municipio.gov.br, outro.nome' });
    const port = Number(new URL(url).port);
    const ask = (host: string) => rawExchange(port, `GET /health HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
    expect(await ask('rebind.evil.example')).toMatch(/^HTTP\/1\.1 421 /);
    expect(await ask(`rebind.evil.example:${port}`)).toMatch(/^HTTP\/1\.1 421 /);
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, 'pec.municipio.gov.br', 'outro.nome:443']) {
      expect(await ask(host)).toMatch(/^HTTP\/1\.1 200 /);
    }
  });

  it('when RNDS_UF=AC, then the start line names Rio Branco time and the screen and /api/status show the expiry date of Acre', async () => {
    const { chaves, data } = setup();
    // Ends at 04:30 UTC six days from today: 23:30 of the day before in Acre (UTC−5, no daylight saving).
    const today = new Date();
    const madeAt = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() - 1, 4, 30));
    const cert = createTestCertificate({ now: madeAt, days: 7, password: 'Fuso#Acre1', iterations: 2048 });
    const dayOf = (d: Date) => `${String(d.getUTCDate()).padStart(2, '0')}/${String(d.getUTCMonth() + 1).padStart(2, '0')}/${d.getUTCFullYear()}`;
    const acreDate = dayOf(new Date(cert.notAfter.getTime() - 5 * 3_600_000));
    const saoPauloDate = dayOf(new Date(cert.notAfter.getTime() - 3 * 3_600_000));
    expect(acreDate).not.toBe(saoPauloDate);
    fs.writeFileSync(path.join(chaves, 'acre.pfx'), cert.pfx);
    const past = new Date(Date.now() - 60_000);
    fs.utimesSync(path.join(chaves, 'acre.pfx'), past, past);
    const token = 'token-de-teste-0123456789abcdef';
    const auth = { Authorization: `Bearer ${token}` };
    const { out, url } = await serve({ RNDS_CHAVES_DIR: chaves, RNDS_DATA_DIR: data, RNDS_ACCESS_TOKEN: token, RNDS_UF: 'AC' });
    const origin = new URL(url).origin;
    const deadline = Date.now() + HANG_MS;
    while (!(await request(origin).get('/api/certificates').set(auth)).body.certificates.some((e: { file: string; status: string }) => e.file === 'acre.pfx' && e.status === 'ready')) {
      if (Date.now() > deadline) throw new Error('acre.pfx never became ready');
      await new Promise((r) => setTimeout(r, 50));
    }

    await request(origin).post('/api/enable').set(auth).send({ file: 'acre.pfx', password: 'Fuso#Acre1', identificadorSolicitante: '3167' }).expect(200);
    const status = (await request(origin).get('/api/status').set(auth).expect(200)).body;
    const screen = (await request(origin).get('/').set(auth).expect(200)).text.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');

    expect(out()).toContain('Fuso horário:  America/Rio_Branco (RNDS_UF=AC)');
    expect(status.problems.find((p: { code: string }) => p.code === 'CERTIFICATE_EXPIRING').message).toContain(`vence em ${acreDate} (`);
    // The screen says the expiry once, in its alert (the panel's "Válido até" points there).
    expect(screen).toContain(`vence em ${acreDate} (`);
    expect(screen).not.toContain(saoPauloDate);
  });

  it('when RNDS_TIME_ZONE is not an IANA zone name, then the start is refused saying what to write', async () => {
    const { chaves, data } = setup();

    const failure = await serveRefused({ RNDS_CHAVES_DIR: chaves, RNDS_DATA_DIR: data, RNDS_TIME_ZONE: 'UTC-2' });

    expect(failure.code).toBe(1);
    expect(failure.out).toMatch(/- RNDS_TIME_ZONE \(está "UTC-2"\): deve ser o nome IANA de um fuso horário, por exemplo RNDS_TIME_ZONE=America\/Noronha/);
  }, NO_TIMEOUT);
});

/** Writes `text` on a new connection and resolves with everything received once the server closes it. */
function rawExchange(port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    socket.on('connect', () => socket.write(text));
    socket.on('data', (d) => (received += d.toString('latin1')));
    socket.on('error', () => {});
    socket.on('close', () => resolve(received));
  });
}
