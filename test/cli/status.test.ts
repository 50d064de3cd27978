import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { createRndsModule } from '../../module/index.js';
import { version } from '../../module/paths.js';
import { createTestCertificate, createTestIssuer } from '../../scripts/lib/test-certificate.js';
import { CONTRA_CHAVE, enableCertificate, newInstallation, STANDARD, type Installation } from './installation.js';
import { FIXTURES as FIXTURES_DIR, fakeHealthServer, freePort, runScript } from './run.js';

let inst: Installation | undefined;
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  inst?.cleanup();
  inst = undefined;
});

/** The environment of an installation whose server answers /health with `rnds`. */
async function withServer(installation: Installation, rnds: string): Promise<Record<string, string>> {
  const server = await fakeHealthServer(rnds);
  closers.push(server.close);
  return installation.env({ PORT: String(server.port) });
}

async function withoutServer(installation: Installation): Promise<Record<string, string>> {
  return installation.env({ PORT: String(await freePort()) });
}

const firstLine = (text: string) => text.split('\n')[0];

describe('npm run status', () => {
  it('when nothing is enabled, then it exits 2 (CRITICAL) saying RNDS is disabled, in text and in JSON', async () => {
    inst = await newInstallation();
    const env = await withServer(inst, 'disabled');

    const text = await runScript('status', [], { env });
    const json = await runScript('status', ['--json'], { env });

    expect(text.code).toBe(2);
    expect(firstLine(text.stdout)).toMatch(/^RNDS CRITICAL - desabilitado/);
    expect(text.stdout).toContain('Contra-chave:');
    expect(text.stdout).toMatch(/^Estado:\s+desabilitado$/m);
    expect(json.code).toBe(2);
    const body = JSON.parse(json.stdout);
    expect(body.state).toBe('disabled');
    expect(body.enabled).toBeNull();
    expect(body.contraChave).toBe(CONTRA_CHAVE);
    expect(body.server).toMatchObject({ reachable: true });
    expect(body.version).toBe(version);
  });

  it('when no contra-chave was configured, then a healthy installation exits 1 (WARNING) with CONTRA_CHAVE_NOT_CONFIGURED and the value flagged as a test value', async () => {
    inst = await newInstallation({ contraChave: null });
    await enableCertificate(inst);
    const env = await withServer(inst, 'enabled');

    const text = await runScript('status', [], { env });
    const json = await runScript('status', ['--json'], { env });

    expect(text.code).toBe(1);
    expect(firstLine(text.stdout)).toMatch(/^RNDS WARNING - habilitado .*contra-chave não configurada/);
    expect(text.stdout).toMatch(/Contra-chave:\s+[0-9a-f-]{39} \(gerada para teste: não é a desta instalação\)/);
    expect(text.stdout).toMatch(/\[WARNING\] A contra-chave mostrada foi gerada só para testes/);
    const body = JSON.parse(json.stdout);
    expect(body.contraChaveOrigin).toBe('gerada');
    expect(body.problems).toEqual([expect.objectContaining({ code: 'CONTRA_CHAVE_NOT_CONFIGURED', severity: 'warning' })]);
  });

  it('when the contra-chave was configured, then the report shows that same value with origin "instalacao"', async () => {
    inst = await newInstallation();
    const env = await withServer(inst, 'disabled');

    const json = await runScript('status', ['--json'], { env });

    expect(JSON.parse(json.stdout)).toMatchObject({ contraChave: CONTRA_CHAVE, contraChaveOrigin: 'instalacao' });
  });

  it('when the chaves folder holds a .cer and a zip, then the report lists each with the reason and what to do', async () => {
    inst = await newInstallation();
    fs.copyFileSync(path.join(FIXTURES_DIR, 'not-pkcs12/certificado.cer'), path.join(inst.chavesDir, 'municipio.cer'));
    fs.copyFileSync(path.join(FIXTURES_DIR, 'not-pkcs12/municipio.zip'), path.join(inst.chavesDir, 'baixado.zip'));
    const env = await withServer(inst, 'disabled');

    const text = await runScript('status', [], { env });
    const json = await runScript('status', ['--json'], { env });

    expect(text.stdout).toMatch(/municipio\.cer — não pode ser habilitado, .*\n\s+Arquivo \.cer: é só o certificado público, sem a chave privada\./);
    expect(text.stdout).toMatch(/baixado\.zip — não pode ser habilitado, .*\n\s+Arquivo compactado \(\.zip\): extraia o \.pfx/);
    const entries = JSON.parse(json.stdout).certificates;
    expect(entries.map((e: { file: string; status: string }) => [e.file, e.status])).toEqual([['baixado.zip', 'unusable'], ['municipio.cer', 'unusable']]);
    expect(entries.every((e: { reason?: string }) => typeof e.reason === 'string' && e.reason.length > 20)).toBe(true);
  });

  it('when the chaves folder holds a renamed .cer and a 28-byte text .p12, then neither is "pronto": each is unusable with what it really is', async () => {
    inst = await newInstallation();
    fs.copyFileSync(path.join(FIXTURES_DIR, 'not-pkcs12/certificado.cer'), path.join(inst.chavesDir, 'cer-renomeado.pfx'));
    fs.writeFileSync(path.join(inst.chavesDir, 'anotacao.p12'), 'senha do certificado: 12345\n');
    fs.copyFileSync(path.join(FIXTURES_DIR, 'ber-indefinite.p12'), path.join(inst.chavesDir, 'windows.p12'));
    const env = await withServer(inst, 'disabled');

    const text = await runScript('status', [], { env });
    const json = await runScript('status', ['--json'], { env });

    expect(text.stdout).not.toMatch(/(cer-renomeado\.pfx|anotacao\.p12) — pronto/);
    expect(text.stdout).toMatch(/cer-renomeado\.pfx — não pode ser habilitado, .*\n\s+Arquivo com nome \.pfx, mas é só o certificado público \(um \.cer renomeado\)/);
    expect(text.stdout).toMatch(/anotacao\.p12 — não pode ser habilitado, .*\n\s+Arquivo com nome \.p12, mas é um texto, não um certificado/);
    expect(text.stdout).toContain('windows.p12 — pronto');
    const entries = JSON.parse(json.stdout).certificates;
    expect(entries.map((e: { file: string; status: string }) => [e.file, e.status])).toEqual([['anotacao.p12', 'unusable'], ['cer-renomeado.pfx', 'unusable'], ['windows.p12', 'ready']]);
  });

  it("when the enabled certificate is a person's e-CPF, then the JSON carries the kind warnings inside the enabled certificate's summary", async () => {
    inst = await newInstallation();
    await enableCertificate(inst, { file: 'e-cpf.p12', password: 'senha123', bytes: fs.readFileSync(path.join(FIXTURES_DIR, 'kinds/e-cpf.p12')) });
    const env = await withServer(inst, 'enabled');

    const json = await runScript('status', ['--json'], { env });

    const warnings = JSON.parse(json.stdout).enabled.certificate.warnings;
    expect(warnings.map((w: { code: string }) => w.code)).toEqual(['PERSONAL_CERTIFICATE', 'AES_FOR_OLD_JAVA']);
    expect(warnings[0].message).toMatch(/^Este é um e-CPF, o certificado de uma pessoa \(MARIA DA SILVA TESTE/);
  });

  it('when a certificate is enabled and the server answers, then it exits 0 (OK) with the holder, validity, identificador, services and environment', async () => {
    inst = await newInstallation();
    await enableCertificate(inst);
    const env = await withServer(inst, 'enabled');

    const text = await runScript('status', [], { env });
    const json = await runScript('status', ['--json'], { env });

    expect(text.code).toBe(0);
    const first = firstLine(text.stdout)!;
    expect(first).toMatch(/^RNDS OK - habilitado: PREFEITURA MUNICIPAL DE TESTE, CNPJ 12\.345\.678\/0001-90, válido até 31\/12\/2049/);
    expect(first).toMatch(/\| dias_restantes=\d+;31:;0:$/);
    expect(text.stdout).toMatch(/Identificador solicitante:\s+3167/);
    expect(text.stdout).toMatch(/Serviços:\s+RNDS e CADSUS/);
    expect(text.stdout).toMatch(/Ambiente:\s+Produção/);
    expect(text.stdout).toContain('Problemas: nenhum');
    expect(text.stdout).toContain(`${STANDARD.file} — pronto`);
    expect(text.stdout).toContain(`pec-rnds ${version}`);
    expect(json.code).toBe(0);
    const body = JSON.parse(json.stdout);
    expect(body).toMatchObject({
      state: 'enabled',
      enabled: { file: STANDARD.file, identificadorSolicitante: '3167', services: ['RNDS', 'CADSUS'], environment: 'producao', certificate: { cnpj: '12345678000190' } },
      problems: [],
      server: { reachable: true },
      check: { code: 0, label: 'OK' },
    });
    expect(body.enabled.certificate.daysLeft).toBeGreaterThan(1000);
    expect(body.renewalReminder).toBeNull();
    expect(text.stdout).not.toContain('Renovação do certificado');
    expect(JSON.stringify(body)).not.toContain(STANDARD.password);
    expect(JSON.stringify(body)).not.toContain('"secret"');
  });

  it('when the enabled certificate expires in 10 days, then it exits 1 (WARNING) with CERTIFICATE_EXPIRING', async () => {
    inst = await newInstallation();
    const soon = createTestCertificate({ password: 'teste', days: 10 });
    await enableCertificate(inst, { file: 'vencendo.pfx', password: 'teste', bytes: soon.pfx });
    const env = await withServer(inst, 'enabled');

    const text = await runScript('status', [], { env });
    const json = await runScript('status', ['--json'], { env });

    expect(text.code).toBe(1);
    expect(firstLine(text.stdout)).toMatch(/^RNDS WARNING - habilitado \(MUNICIPIO DE TESTE, CNPJ 11\.222\.333\/0001-81\), mas certificado vence em \d\d\/\d\d\/\d{4} \((faltam 9 dias|faltam 10 dias)\)/);
    expect(text.stdout).toContain('renovação');
    expect(json.code).toBe(1);
    const body = JSON.parse(json.stdout);
    expect(body.state).toBe('enabled');
    expect(body.problems.map((p: { code: string }) => p.code)).toEqual(['CERTIFICATE_EXPIRING']);
    // The renewal reminder: the steps, and where the guide is on this server.
    expect(text.stdout).toContain('Renovação do certificado: O certificado vence em');
    expect(text.stdout).toMatch(/ {2}1\. Providencie o novo certificado A1/);
    expect(text.stdout).toMatch(/ {2}4\. .*Usar o certificado renovado/);
    expect(text.stdout).toContain(`Passo a passo: http://127.0.0.1:${env.PORT}/guia`);
    expect(body.renewalReminder).toMatchObject({ daysLeft: expect.any(Number), guideUrl: `http://127.0.0.1:${env.PORT}/guia` });
    expect(body.renewalReminder.steps).toHaveLength(4);
  });

  it('when the enabled file was removed from the chaves folder, then it exits 2 (CRITICAL) as degraded with CERTIFICATE_MISSING and what to do', async () => {
    inst = await newInstallation();
    await enableCertificate(inst);
    fs.rmSync(path.join(inst.chavesDir, STANDARD.file));
    const env = await withServer(inst, 'degraded');

    const text = await runScript('status', [], { env });
    const json = await runScript('status', ['--json'], { env });

    expect(text.code).toBe(2);
    expect(firstLine(text.stdout)).toMatch(/^RNDS CRITICAL - degradado \(PREFEITURA MUNICIPAL DE TESTE, CNPJ 12\.345\.678\/0001-90\): o arquivo aes256-default\.p12 saiu da pasta chaves/);
    expect(text.stdout).toContain('copie-o de volta');
    expect(text.stdout).toMatch(/^Estado:\s+degradado \(habilitado, mas sem condições de uso\)$/m);
    expect(JSON.parse(json.stdout)).toMatchObject({ state: 'degraded', enabled: { file: STANDARD.file }, problems: [{ code: 'CERTIFICATE_MISSING' }] });
  });

  it('when the secret key of the data folder is lost, then it exits 2 (CRITICAL) as degraded with SECRET_UNREADABLE', async () => {
    inst = await newInstallation();
    await enableCertificate(inst);
    fs.rmSync(path.join(inst.dataDir, 'secret.key'));
    const env = await withServer(inst, 'degraded');

    const json = await runScript('status', ['--json'], { env });

    expect(json.code).toBe(2);
    const body = JSON.parse(json.stdout);
    expect(body.state).toBe('degraded');
    expect(body.problems.map((p: { code: string }) => p.code)).toContain('SECRET_UNREADABLE');
  });

  it('when the server does not answer but the certificate is fine, then it exits 1 (WARNING) and says how to check the service', async () => {
    inst = await newInstallation();
    await enableCertificate(inst);
    const env = await withoutServer(inst);

    const text = await runScript('status', [], { env });
    const json = await runScript('status', ['--json'], { env });

    expect(text.code).toBe(1);
    expect(firstLine(text.stdout)).toMatch(/^RNDS WARNING - habilitado \(.*\), mas o servidor do pec-rnds não responde em http:\/\/127\.0\.0\.1:\d+\/health/);
    expect(text.stdout).toContain('systemctl status pec-rnds');
    const body = JSON.parse(json.stdout);
    expect(body.state).toBe('enabled');
    expect(body.server).toMatchObject({ reachable: false, url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/health$/) });
  });

  it('when something on the port accepts but never answers, then --timeout bounds the wait and the server counts as not answering', async () => {
    inst = await newInstallation();
    await enableCertificate(inst);
    const hanging = http.createServer(() => {
      // never answers
    });
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    closers.push(async () => {
      hanging.closeAllConnections();
      await new Promise<void>((resolve) => hanging.close(() => resolve()));
    });
    const { port } = hanging.address() as AddressInfo;

    const json = await runScript('status', ['--json', '--timeout', '0.5'], { env: inst.env({ PORT: String(port) }) });

    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout).server).toMatchObject({ reachable: false, error: 'não respondeu em 0,5 s' });
  });

  it('when the last connection test failed, then it exits 1 (WARNING) and shows the result and its detail', async () => {
    inst = await newInstallation();
    await enableCertificate(inst, {
      connection: { status: 'certificate-failure', message: 'Falha no certificado', detail: 'O servidor da RNDS recusou o certificado (HTTP 401).', checkedAt: new Date().toISOString() },
    });
    const env = await withServer(inst, 'enabled');

    const text = await runScript('status', [], { env });

    expect(text.code).toBe(1);
    expect(firstLine(text.stdout)).toContain('última conexão: Falha no certificado');
    expect(text.stdout).toMatch(/Última conexão:\s+Falha no certificado em .* — O servidor da RNDS recusou o certificado/);
  });

  it('when state.json is corrupt, then it exits 3 (UNKNOWN) and says how to restore it', async () => {
    inst = await newInstallation();
    fs.writeFileSync(path.join(inst.dataDir, 'state.json'), '{ isto não é json');
    const env = await withoutServer(inst);

    const text = await runScript('status', [], { env });
    const json = await runScript('status', ['--json'], { env });

    expect(text.code).toBe(3);
    expect(firstLine(text.stdout)).toMatch(/^RNDS UNKNOWN - /);
    expect(text.stdout).toContain('backup');
    expect(json.code).toBe(3);
    expect(JSON.parse(json.stdout)).toMatchObject({ state: 'unknown', error: { code: 'STATE_UNREADABLE' }, check: { code: 3, label: 'UNKNOWN' } });
  });

  it('when the data folder holds no configuration (wrong RNDS_DATA_DIR), then it exits 3 (UNKNOWN) naming the folder it read', async () => {
    inst = await newInstallation();
    const env = { ...(await withoutServer(inst)), RNDS_DATA_DIR: path.join(inst.root, 'outra-pasta') };

    const text = await runScript('status', [], { env });

    expect(text.code).toBe(3);
    expect(firstLine(text.stdout)).toContain(path.join(inst.root, 'outra-pasta'));
    expect(text.stdout).toContain('RNDS_DATA_DIR');
    expect(fs.existsSync(path.join(inst.root, 'outra-pasta'))).toBe(false);
  });

  it('when an environment variable is invalid, then it exits 3 (UNKNOWN) naming the variable', async () => {
    inst = await newInstallation();

    const text = await runScript('status', [], { env: inst.env({ RNDS_AMBIENTE: 'teste' }) });

    expect(text.code).toBe(3);
    expect(text.stdout).toContain('RNDS_AMBIENTE');
    expect(text.stdout).toContain('deve ser producao ou homologacao');
    expect(text.stdout).not.toMatch(/Invalid|expected/);
    expect(text.stderr).toContain('não foi possível saber o estado (INVALID_ENVIRONMENT)');
  });

  it('when two variables are wrong at different stages (RNDS_UF, and an SMTP server without recipients), then both are named in one run', async () => {
    inst = await newInstallation();

    const text = await runScript('status', [], { env: inst.env({ RNDS_UF: 'Minas', RNDS_SMTP_URL: 'smtp://127.0.0.1:25', RNDS_SMTP_FROM: 'pec@prefeitura.test' }) });

    expect(text.code).toBe(3);
    expect(text.stdout).toMatch(/- RNDS_UF \(está "Minas"\): deve ser a sigla de um estado/);
    expect(text.stdout).toMatch(/- RNDS_ALERT_EMAILS: informe os destinatários/);
    expect(text.stderr).toContain('não foi possível saber o estado (INVALID_ENVIRONMENT)');
  });

  it('when the server reports another state than the data folder read here, then both states are named in pt-BR', async () => {
    inst = await newInstallation();
    const env = await withServer(inst, 'enabled');

    const text = await runScript('status', [], { env });

    expect(text.stdout).toContain('o servidor informa "habilitado", a pasta de dados "desabilitado"');
    expect(text.stdout).not.toMatch(/"(enabled|disabled|degraded)"/);
  });

  it('when an option is unknown, then it says so in pt-BR with the usage', async () => {
    const result = await runScript('status', ['--jsno']);

    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/^Opção desconhecida: --jsno\./);
    expect(result.stderr).toContain('Uso: npm run status');
  });

  it('when a file name in the chaves folder holds terminal escapes and bidi marks, then they are printed escaped, never raw', async () => {
    inst = await newInstallation();
    const evil = 'a\u001b[2J\u202egpj.pfx';
    fs.writeFileSync(path.join(inst.chavesDir, evil), 'x');
    const env = await withServer(inst, 'disabled');

    const text = await runScript('status', [], { env });
    const json = await runScript('status', ['--json'], { env });

    expect(text.stdout).toContain('a\\u{001B}[2J\\u{202E}gpj.pfx');
    for (const out of [text.stdout, json.stdout]) {
      expect(out).not.toContain('\u001b');
      expect(out).not.toContain('\u202e');
    }
    expect(JSON.parse(json.stdout).certificates[0].file).toBe(evil);
  });

  it('when the real module serves the same data folder under a base path, then status finds it answering and agreeing', async () => {
    inst = await newInstallation();
    await enableCertificate(inst);
    const rnds = await createRndsModule({ chavesDir: inst.chavesDir, dataDir: inst.dataDir, accessToken: 'token-de-teste-0123456789abcdef' });
    const app = express();
    app.use('/rnds', rnds.router);
    const server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rnds.close();
    });
    const { port } = server.address() as AddressInfo;

    const json = await runScript('status', ['--json'], { env: inst.env({ PORT: String(port), HOST: '0.0.0.0', RNDS_BASE_PATH: '/rnds/' }) });

    expect(json.code).toBe(0);
    const body = JSON.parse(json.stdout);
    expect(body.server).toEqual({ reachable: true, url: `http://127.0.0.1:${port}/rnds/health`, rnds: 'enabled' });
    expect(body.check.findings).toEqual([]);
  });

  describe('a renewal waiting to be used', () => {
    const PASSWORD = STANDARD.password;
    let current: ReturnType<typeof createTestCertificate>;
    let renewed: ReturnType<typeof createTestCertificate>;
    // Two RSA keys for the whole block: the slow part on a loaded machine.
    const certificates = () => {
      const issuer = createTestIssuer();
      current ??= createTestCertificate({ password: PASSWORD, days: 20, issuer });
      renewed ??= createTestCertificate({ password: PASSWORD, days: 380, issuer });
      return { current, renewed };
    };

    async function withRenewal(): Promise<{ renewedSha: string }> {
      const { current, renewed } = certificates();
      inst = await newInstallation();
      await enableCertificate(inst, { file: 'municipio.pfx', bytes: current.pfx, password: PASSWORD });
      const target = path.join(inst.chavesDir, 'municipio-renovado.pfx');
      fs.writeFileSync(target, renewed.pfx);
      const past = new Date(Date.now() - 60_000);
      fs.utimesSync(target, past, past);
      const sha = createHash('sha256').update(renewed.pfx).digest('hex');
      return { renewedSha: sha };
    }

    it('when the server is down and a renewed certificate that opens with the stored password is in the folder, then text and JSON tell about it and what to do', async () => {
      const { renewedSha } = await withRenewal();
      const env = await withoutServer(inst!);

      const text = await runScript('status', [], { env });
      const json = await runScript('status', ['--json'], { env });

      expect(text.stdout).toMatch(/^Certificado renovado na pasta: municipio-renovado\.pfx, válido até \d{2}\/\d{2}\/\d{4}, emitido por .+\.$/m);
      expect(text.stdout).toContain('use-o na tela Certificados (botão "Usar o certificado renovado")');
      expect(text.stdout).toContain('o servidor não respondeu');
      expect(text.stdout).toContain('O certificado renovado já está na pasta e abre com a senha guardada');
      const body = JSON.parse(json.stdout);
      expect(body.renewal).toMatchObject({ file: 'municipio-renovado.pfx', sha256: renewedSha, sameFile: false });
      expect(body.renewal.certificate.daysLeft).toBeGreaterThan(300);
      expect(body.renewal.certificate.issuer).toEqual(expect.any(String));
      expect(body.renewalReminder.steps.join(' ')).toContain('já está na pasta');
    });

    it('when the renewed file has another password or the folder has none, then nothing is offered', async () => {
      inst = await newInstallation();
      await enableCertificate(inst, { file: 'municipio.pfx', bytes: certificates().current.pfx, password: PASSWORD });
      const env = await withoutServer(inst);
      expect(JSON.parse((await runScript('status', ['--json'], { env })).stdout).renewal).toBeNull();
      // The same CNPJ and a later expiry, but another password: the admin enables it with its own.
      const other = createTestCertificate({ password: 'OutraSenha#99', days: 380 });
      const target = path.join(inst.chavesDir, 'outra-senha.pfx');
      fs.writeFileSync(target, other.pfx);
      const past = new Date(Date.now() - 60_000);
      fs.utimesSync(target, past, past);
      const text = await runScript('status', [], { env });
      expect(text.stdout).not.toContain('Certificado renovado na pasta');
      expect(JSON.parse((await runScript('status', ['--json'], { env })).stdout).renewal).toBeNull();
    });

    it('when the real server answers, then the renewal it offers is the one told, read from its /api/status', async () => {
      const { renewedSha } = await withRenewal();
      const token = 'token-de-teste-0123456789abcdef';
      const rnds = await createRndsModule({ chavesDir: inst!.chavesDir, dataDir: inst!.dataDir, accessToken: token, connectionCheckMinutes: 0 });
      const app = express();
      app.use('/rnds', rnds.router);
      const server = http.createServer(app);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      closers.push(async () => {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await rnds.close();
      });
      await new Promise<void>((resolve) => {
        let stop = () => {};
        const check = () => {
          if (rnds.status().renewal) {
            stop();
            resolve();
          }
        };
        stop = rnds.onChange(check);
        check();
      });
      const { port } = server.address() as AddressInfo;
      const env = inst!.env({ PORT: String(port), RNDS_BASE_PATH: '/rnds/', RNDS_ACCESS_TOKEN: token });

      const text = await runScript('status', [], { env });
      const json = await runScript('status', ['--json'], { env });

      expect(text.stdout).toContain('Certificado renovado na pasta: municipio-renovado.pfx');
      expect(text.stdout).not.toContain('o servidor não respondeu');
      expect(JSON.parse(json.stdout).renewal).toEqual(rnds.status().renewal);
      expect(JSON.parse(json.stdout).renewal.sha256).toBe(renewedSha);
    });
  });
});
