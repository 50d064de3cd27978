/**
 * `npm run status` and the sends the host reported (RNDS_CREDENTIAL_REFUSED): the real built script against a real
 * module that received the reports over HTTP with the reporting token — answering, stopped, killed, holding the file
 * without answering — and against a damaged or never-migrated sends.sqlite.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { createRndsModule } from '../../module/index.js';
import type { Problem } from '../../module/types.js';
import { SENDS_FILE } from '../../module/sends/index.js';
import { openDatabase } from '../../module/sends/database.js';
import { compiled, start, type Started } from '../support/spawn.js';
import { enableCertificate, newInstallation, type Installation } from './installation.js';
import { freePort, runScript, type RunResult } from './run.js';

const ACCESS = 'token-de-acesso-0123456789abcdef';
const REPORTING = 'envios-do-pec-0123456789abcdef';

// Patient data a host may put in a report: none of it may reach npm run status.
const CNS = '898001160660005';
const CPF = '12345678909';
const CPF_FORMATTED = '123.456.789-09';
const RECORD_ID = `registro-sigiloso-${CNS}`;
const DIAGNOSTICS = 'Acesso negado ao registro do cidadão';
const PATIENT = [CNS, CPF, CPF_FORMATTED, 'registro-sigiloso', DIAGNOSTICS, 'Paciente não encontrado'];

const ERR881 = {
  resourceType: 'OperationOutcome',
  issue: [{ severity: 'error', code: 'forbidden', diagnostics: `(EHR-ERR881) ${DIAGNOSTICS} Patient/${CNS}, CPF ${CPF_FORMATTED}` }],
};
const ERR983 = { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'processing', diagnostics: `(EHR-ERR983) Paciente não encontrado: Patient/${CNS}` }] };

let inst: Installation | undefined;
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  inst?.cleanup();
  inst = undefined;
});

/** A real module on the installation's folders, served over HTTP, taking reports with the reporting token. */
async function startServer(installation: Installation): Promise<{ port: number; rnds: Awaited<ReturnType<typeof createRndsModule>>; close(): Promise<void> }> {
  const rnds = await createRndsModule({
    chavesDir: installation.chavesDir,
    dataDir: installation.dataDir,
    accessToken: ACCESS,
    reportingToken: REPORTING,
    connectionCheckMinutes: 0,
  });
  const server = http.createServer(express().use(rnds.router));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rnds.close();
  };
  closers.push(close);
  return { port: (server.address() as AddressInfo).port, rnds, close };
}

let seq = 0;
/** A report as the host posts it: earlier sends with patient data, the last one `last`. */
function report(last: Record<string, unknown>, at = new Date()): { envios: Array<Record<string, unknown>> } {
  seq += 1;
  const before = (ms: number) => new Date(at.getTime() - ms).toISOString();
  return {
    envios: [
      { at: before(2000), model: 'RIA-R', recordId: `${RECORD_ID}-a${seq}`, httpStatus: 422, operationOutcome: ERR983, cnes: '2204681' },
      { at: before(1000), model: 'RPM', recordId: `${RECORD_ID}-b${seq}`, failure: 'no-connection', detail: `ETIMEDOUT ao enviar o CPF ${CPF}` },
      { at: at.toISOString(), model: 'RAC', recordId: `${RECORD_ID}-c${seq}`, ...last },
    ],
  };
}

async function post(port: number, body: unknown): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${port}/api/envios`, {
    method: 'POST',
    headers: { authorization: `Bearer ${REPORTING}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  await response.arrayBuffer();
  return response.status;
}

/** Runs status in text and in JSON. */
/** The parts of `status --json` these tests read. */
interface StatusJson {
  state: string;
  problems: Problem[];
  sends: { read: string; lastSend?: { status: string; message: string } | null; message?: string };
  server: { reachable: boolean };
  check: { findings: Array<{ code: string }> };
}

async function status(env: Record<string, string>): Promise<{ text: RunResult; json: RunResult; body: StatusJson }> {
  const text = await runScript('status', [], { env });
  const json = await runScript('status', ['--json'], { env });
  return { text, json, body: JSON.parse(json.stdout) as StatusJson };
}

function expectNoPatientData(...results: RunResult[]): void {
  for (const { stdout, stderr } of results) {
    for (const secret of PATIENT) {
      expect(stdout).not.toContain(secret);
      expect(stderr).not.toContain(secret);
    }
  }
}

const problem = (body: { problems: Problem[] }, code: string) => body.problems.find((p) => p.code === code);

/** Every file of the sends store, with a hash of its bytes (a `.lock` folder as such). */
function sendsFiles(dataDir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const name of fs.readdirSync(dataDir).filter((n) => n.startsWith('sends.sqlite')).sort()) {
    const file = path.join(dataDir, name);
    files[name] = fs.statSync(file).isDirectory() ? 'folder' : createHash('sha256').update(fs.readFileSync(file)).digest('hex');
  }
  return files;
}

describe('npm run status and the sends reported by the host', () => {
  it('when the server answers after a send refused with EHR-ERR881, then it exits 2 with the server\'s message and fix; after a delivered send it is back to 0', async () => {
    inst = await newInstallation();
    await enableCertificate(inst);
    const { port, rnds } = await startServer(inst);
    expect(await post(port, report({ httpStatus: 422, operationOutcome: ERR881 }))).toBe(200);
    const env = inst.env({ PORT: String(port), RNDS_ACCESS_TOKEN: ACCESS });

    const refused = await status(env);

    expect(refused.text.code).toBe(2);
    expect(refused.json.code).toBe(2);
    const served = problem(rnds.status(), 'RNDS_CREDENTIAL_REFUSED')!;
    expect(served.message).toContain('identificador solicitante 3167');
    expect(served.message).toContain('e-Gestor AB › Credenciais geradas');
    expect(refused.text.stdout.split('\n')[0]).toMatch(/^RNDS CRITICAL - degradado .*a RNDS recusou a credencial no último envio direto/);
    expect(refused.text.stdout).toContain(`[CRITICAL] ${served.message}`);
    expect(refused.text.stdout).toMatch(/^Status do último envio:\s+Falha no certificado \(envio direto de \d{2}\/\d{2}\/\d{4} \d{2}:\d{2}\)$/m);
    expect(problem(refused.body, 'RNDS_CREDENTIAL_REFUSED')).toEqual({ code: 'RNDS_CREDENTIAL_REFUSED', severity: 'critical', message: served.message });
    expect(refused.body.state).toBe('degraded');
    // The data folder read here is the server's: its state, degraded by a send only the server holds, is no mismatch.
    expect(refused.body.check.findings.map((f) => f.code)).toEqual(['RNDS_CREDENTIAL_REFUSED']);
    expect(refused.body.sends).toEqual({ read: 'server', lastSend: { at: expect.any(String), model: 'RAC', status: 'certificate-failure', message: 'Falha no certificado' } });
    expectNoPatientData(refused.text, refused.json);

    expect(await post(port, report({ httpStatus: 201, rndsId: 'Composition/9' }, new Date(Date.now() + 5000)))).toBe(200);
    const delivered = await status(env);

    expect(delivered.text.code).toBe(0);
    expect(delivered.json.code).toBe(0);
    expect(delivered.text.stdout).toMatch(/^Status do último envio:\s+Conexão bem-sucedida \(envio direto de /m);
    expect(problem(delivered.body, 'RNDS_CREDENTIAL_REFUSED')).toBeUndefined();
    expect(delivered.body.sends.lastSend).toMatchObject({ status: 'ok', message: 'Conexão bem-sucedida' });
    expectNoPatientData(delivered.text, delivered.json);
  });

  it('when the server is down, then it reads sends.sqlite itself and gives the server\'s answer (exit 2, same message), writes nothing, and a server started right after takes reports', async () => {
    inst = await newInstallation();
    await enableCertificate(inst);
    const first = await startServer(inst);
    expect(await post(first.port, report({ httpStatus: 422, operationOutcome: ERR881 }))).toBe(200);
    const served = problem(first.rnds.status(), 'RNDS_CREDENTIAL_REFUSED')!;
    await first.close();
    const before = sendsFiles(inst.dataDir);
    const env = inst.env({ PORT: String(await freePort()) });

    const down = await status(env);

    expect(down.text.code).toBe(2);
    expect(down.json.code).toBe(2);
    expect(down.text.stdout).toContain(`[CRITICAL] ${served.message}`);
    expect(down.text.stdout).toMatch(/^Status do último envio:\s+Falha no certificado \(envio direto de /m);
    expect(problem(down.body, 'RNDS_CREDENTIAL_REFUSED')).toEqual({ code: 'RNDS_CREDENTIAL_REFUSED', severity: 'critical', message: served.message });
    expect(down.body.sends).toEqual({ read: 'database', lastSend: { at: expect.any(String), model: 'RAC', status: 'certificate-failure', message: 'Falha no certificado' } });
    expect(down.body.server).toMatchObject({ reachable: false });
    expectNoPatientData(down.text, down.json);
    // Read, not written (no migration, retention or checkpoint), and closed: no lock left behind.
    expect(sendsFiles(inst.dataDir)).toEqual(before);

    const second = await startServer(inst);
    expect(await post(second.port, report({ httpStatus: 201, rndsId: 'Composition/10' }, new Date(Date.now() + 5000)))).toBe(200);
    expect(problem(second.rnds.status(), 'RNDS_CREDENTIAL_REFUSED')).toBeUndefined();
  });

  it('when the server is down and the latest direct send was refused for the clock (EHR-ERR807), then it warns CLOCK_SKEW (exit 1) with the server\'s message, not a measured difference', async () => {
    inst = await newInstallation();
    await enableCertificate(inst);
    const first = await startServer(inst);
    const err807 = { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'processing', diagnostics: `(EHR-ERR807) O campo "timestamp" do "Bundle" não pode ter data anterior à data atual. Patient/${CNS}` }] };
    expect(await post(first.port, report({ httpStatus: 422, operationOutcome: err807 }))).toBe(200);
    const served = problem(first.rnds.status(), 'CLOCK_SKEW')!;
    expect(served).toMatchObject({ severity: 'warning' });
    await first.close();

    const down = await status(inst.env({ PORT: String(await freePort()) }));

    expect(down.json.code).toBe(1);
    expect(problem(down.body, 'CLOCK_SKEW')).toEqual({ code: 'CLOCK_SKEW', severity: 'warning', message: served.message });
    expect(down.text.stdout.split('\n')[0]).toContain('a RNDS recusou envios recentes pela data e hora do servidor');
    expect(down.text.stdout).not.toMatch(/\b0 s (atrasado|adiantado)/);
    expectNoPatientData(down.text, down.json);
  });

  it('when the server was killed (SIGKILL) after the refused send, then its stale lock is no obstacle: exit 2 with the message', async () => {
    inst = await newInstallation();
    await enableCertificate(inst);
    const server: Started = start(process.execPath, [compiled('scripts/serve.ts')], {
      env: { PATH: process.env.PATH ?? '', TZ: 'UTC', ...inst.env({ PORT: '0', HOST: '127.0.0.1', RNDS_ACCESS_TOKEN: ACCESS, RNDS_REPORTING_TOKEN: REPORTING, RNDS_CONNECTION_CHECK_MINUTES: '0' }) },
    });
    closers.push(() => server.stop());
    const [, url] = await server.waitFor(/Tela:\s+(http:\/\/\S+)/);
    await server.waitFor(/Contra-chave:.*\n/);
    const port = Number(new URL(url!).port);
    expect(await post(port, report({ httpStatus: 403 }))).toBe(200);
    server.child.kill('SIGKILL');
    await server.stop();
    // What a killed server leaves: its data-folder lock with a dead pid, the binding's lock folder, the WAL.
    expect(fs.existsSync(path.join(inst.dataDir, 'sends.sqlite.lock'))).toBe(true);
    expect(fs.existsSync(path.join(inst.dataDir, 'state.lock'))).toBe(true);
    const { 'sends.sqlite.lock': _stale, ...before } = sendsFiles(inst.dataDir);
    expect(before['sends.sqlite-wal']).toBeDefined();

    const down = await status(inst.env({ PORT: String(port) }));

    expect(down.json.code).toBe(2);
    expect(down.text.code).toBe(2);
    expect(problem(down.body, 'RNDS_CREDENTIAL_REFUSED')).toMatchObject({ severity: 'critical', message: expect.stringContaining('identificador solicitante 3167') });
    expect(down.body.sends).toMatchObject({ read: 'database', lastSend: { status: 'certificate-failure' } });
    // Only the stale lock folder went (as the server's start removes it); the database and its WAL are untouched.
    expect(sendsFiles(inst.dataDir)).toEqual(before);
    expectNoPatientData(down.text, down.json);
  });

  it('when a running server holds the sends but does not answer HTTP, then it says the sends could not be read and the exit code follows the rest', async () => {
    inst = await newInstallation();
    await enableCertificate(inst);
    const { port } = await startServer(inst);
    expect(await post(port, report({ httpStatus: 422, operationOutcome: ERR881 }))).toBe(200);
    const before = sendsFiles(inst.dataDir);
    // Another port: to this check the server is not answering, yet it holds the data folder and the sends.
    const env = inst.env({ PORT: String(await freePort()) });

    const held = await status(env);

    expect(held.text.code).toBe(1);
    expect(held.json.code).toBe(1);
    expect(held.text.stdout).toContain(`Envios não lidos: o pec-rnds em execução (processo ${process.pid}) mantém o banco de envios (sends.sqlite) aberto`);
    expect(held.text.stdout).not.toContain('Status do último envio');
    expect(held.body.sends).toEqual({ read: 'locked', message: expect.stringContaining(`processo ${process.pid}`) });
    expect(held.body.check.findings.map((f) => f.code)).toEqual(['SERVER_NOT_ANSWERING']);
    expectNoPatientData(held.text, held.json);
    // The server's lock and files are as they were, and it goes on taking reports.
    expect(sendsFiles(inst.dataDir)).toEqual(before);
    expect(await post(port, report({ httpStatus: 201 }, new Date(Date.now() + 5000)))).toBe(200);
  });

  it('when the server answers but this check has no token for its Status, then the sends are not read and it says which token to give', async () => {
    inst = await newInstallation();
    await enableCertificate(inst);
    const { port } = await startServer(inst);
    expect(await post(port, report({ httpStatus: 422, operationOutcome: ERR881 }))).toBe(200);

    const untold = await status(inst.env({ PORT: String(port) }));

    expect(untold.body.sends).toEqual({ read: 'locked', message: expect.stringContaining('o servidor responde, mas não deu o Status dele a esta verificação: rode-a com o mesmo RNDS_MONITORING_TOKEN ou RNDS_ACCESS_TOKEN') });
    expect(untold.text.stdout).toContain('Envios não lidos: o pec-rnds em execução');
    // /health says degraded, the folder read here cannot tell: the difference is told, never hidden.
    expect(untold.body.check.findings.map((f) => f.code)).toEqual(['SERVER_STATE_MISMATCH']);
    expectNoPatientData(untold.text, untold.json);
  });

  it('when no send was ever reported, then it says nothing about sends and creates no file', async () => {
    inst = await newInstallation();
    await enableCertificate(inst);

    const down = await status(inst.env({ PORT: String(await freePort()) }));

    expect(down.json.code).toBe(1);
    expect(down.body.sends).toEqual({ read: 'no-database' });
    expect(down.text.stdout).not.toMatch(/envio/i);
    expect(sendsFiles(inst.dataDir)).toEqual({});
  });

  it('when sends.sqlite is damaged, then it says so with what to do, leaves the file as it is, and the exit code follows the rest', async () => {
    inst = await newInstallation();
    await enableCertificate(inst);
    fs.writeFileSync(path.join(inst.dataDir, 'sends.sqlite'), Buffer.alloc(8192, 'não é um banco SQLite '));
    const before = sendsFiles(inst.dataDir);

    const down = await status(inst.env({ PORT: String(await freePort()) }));

    expect(down.text.code).toBe(1);
    expect(down.json.code).toBe(1);
    expect(down.text.stdout).toMatch(/^Envios não lidos de .*sends\.sqlite: o arquivo está danificado \(.+\)\. Com o serviço parado, restaure sends\.sqlite da cópia de segurança/m);
    expect(down.body.sends).toEqual({ read: 'unreadable', message: expect.stringContaining('cópia de segurança') });
    expect(sendsFiles(inst.dataDir)).toEqual(before);
  });

  it('when sends.sqlite is older than this code (its first migration never committed), then it reads it without migrating: nothing reported, the file unchanged', async () => {
    inst = await newInstallation();
    await enableCertificate(inst);
    // Opened by a release with no migrations applied yet: WAL mode set, user_version 0, no tables.
    (await openDatabase(path.join(inst.dataDir, SENDS_FILE), { migrations: [] })).close();
    const before = sendsFiles(inst.dataDir);

    const down = await status(inst.env({ PORT: String(await freePort()) }));

    expect(down.json.code).toBe(1);
    expect(down.body.sends).toEqual({ read: 'database', lastSend: null });
    expect(sendsFiles(inst.dataDir)).toEqual(before);
  });
});
