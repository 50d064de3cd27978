/**
 * INSTALL.md's commands, run where this machine allows: the chaves ACL recipe (root + setfacl), backup and restore,
 * the Zabbix and Nagios lines. The commands are read from the document itself (blocks after `<!-- test:name -->`),
 * with only the paths and the service user swapped for test ones.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../support/files.js';
import { ERROR_STATUS } from '../../module/errors.js';
import { CONNECTION_MESSAGES, ENTRY_STATUSES, PROBLEM_CODES } from '../../module/enums.js';
import { PROXY_FAILURE_REASONS, bypassesProxy, parseProxyUrl } from '../../module/rnds/index.js';
import { parseEnv } from '../../module/config/env.js';
import { newInstallation, type Installation } from '../cli/installation.js';
import { runScript } from '../cli/run.js';
import { DEPLOY, ROOT, which } from './support.js';

const DOC = fs.readFileSync(path.join(ROOT, 'INSTALL.md'), 'utf8');

/** The command lines of the fenced block that follows `<!-- test:name -->`. */
function block(name: string): string[] {
  const m = new RegExp(`<!-- test:${name} -->\\s*\`\`\`[a-z]*\\n([\\s\\S]*?)\`\`\``).exec(DOC);
  if (!m) throw new Error(`INSTALL.md has no block <!-- test:${name} -->`);
  return m[1]!.split('\n').filter((line) => line.trim() !== '' && !line.trim().startsWith('#'));
}

function sh(command: string, env: NodeJS.ProcessEnv = process.env, cwd?: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync('sh', ['-c', command], { encoding: 'utf8', env, cwd });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

let temp: string;
beforeEach(() => {
  temp = tempDir('pec-rnds-doc-');
});
afterEach(() => fs.rmSync(temp, { recursive: true, force: true }));

describe('INSTALL.md troubleshooting', () => {
  const problemCodes: readonly string[] = PROBLEM_CODES;
  const entryStatuses: readonly string[] = ENTRY_STATUSES;
  const tableCodes = new Set([...DOC.matchAll(/^\| `([A-Za-z_-]+)` \|/gm)].map((m) => m[1]!));

  it('when the document is read, then every error code, problem code, connection result and file status has a row with cause and fix', () => {
    const expected = [...Object.keys(ERROR_STATUS), ...problemCodes, ...Object.keys(CONNECTION_MESSAGES), ...entryStatuses];

    expect(problemCodes.length).toBeGreaterThanOrEqual(6);
    expect(entryStatuses.length).toBeGreaterThanOrEqual(5);
    expect(expected.filter((code) => !tableCodes.has(code))).toEqual([]);
  });

  it('when the connection test can fail at the proxy, then each proxy reason has a row', () => {
    expect(PROXY_FAILURE_REASONS.length).toBeGreaterThanOrEqual(10);
    expect(PROXY_FAILURE_REASONS.filter((reason) => !tableCodes.has(reason))).toEqual([]);
  });

  it('when the proxy example of the Proxy section is read as the service reads it, then the login is decoded and shown nowhere', () => {
    const env = Object.fromEntries(block('proxy-env').map((line) => line.split(/=(.*)/s).slice(0, 2) as [string, string]));
    const parsed = parseEnv(env);
    const proxy = parseProxyUrl(parsed.proxy!.url, parsed.proxy!.source);

    expect(proxy).toMatchObject({ display: 'proxy.prefeitura.gov.br:3128', username: 'maria', source: 'RNDS_PROXY' });
    expect(Buffer.from(proxy.authorization!.slice(6), 'base64').toString('utf8')).toBe('maria:Pr@x:1');
    expect(bypassesProxy(parsed.noProxy, '127.0.0.1', 8787)).toBe(true);
    expect(bypassesProxy(parsed.noProxy, 'ehr-auth.saude.gov.br', 443)).toBe(false);
  });

  it('when the status CLI can report its own codes, then each of those has a row too', () => {
    const source = fs.readFileSync(path.join(ROOT, 'scripts/lib/status-check.ts'), 'utf8');
    const cliCodes = new Set([...source.matchAll(/code: '([A-Z_]+)',\s*severity/g), ...source.matchAll(/unknownReport\(\s*'([A-Z_]+)'/g)].map((m) => m[1]!));

    expect([...cliCodes].filter((code) => !tableCodes.has(code))).toEqual([]);
  });
});

describe('INSTALL.md: read access to the chaves folder (section 1.4)', () => {
  const canRun = process.getuid?.() === 0 && which('setfacl') !== null && which('runuser') !== null;

  /** The document's commands, for `nobody` instead of `pec-rnds` and a temp folder instead of PEC's. */
  const adapt = (line: string, chaves: string) => line.replace(/^sudo /, '').replaceAll('/opt/e-SUS/webserver/chaves', chaves).replaceAll('u:pec-rnds:', 'u:nobody:');
  const readableByNobody = (file: string) => spawnSync('runuser', ['-u', 'nobody', '--', 'cat', file], { stdio: 'ignore' }).status === 0;

  it.skipIf(!canRun)('when the ACL recipe is applied, then the service user reads files already there, 0644 files copied later, and 0600 files copied the documented way', (ctx) => {
    fs.chmodSync(temp, 0o755);
    const chaves = path.join(temp, 'webserver', 'chaves');
    fs.mkdirSync(path.dirname(chaves), { mode: 0o755 });
    const already = path.join(chaves, 'antigo.pfx');
    fs.writeFileSync(path.join(temp, 'municipio.pfx'), 'y', { mode: 0o600 });
    fs.writeFileSync(path.join(temp, 'baixado.pfx'), 'w', { mode: 0o644 });

    const mkdir = sh(adapt(block('chaves-acl')[0]!, chaves));
    fs.writeFileSync(already, 'x', { mode: 0o600 });
    const before = readableByNobody(already);
    const results = block('chaves-acl').slice(1).map((line) => sh(adapt(line, chaves)));
    if (results.some((r) => /Operation not supported/.test(r.stderr))) ctx.skip(); // this file system has no ACLs
    const copy = block('chaves-copy').map((line) => sh(adapt(line, chaves), process.env, temp));
    const plainCopy = sh(`cp baixado.pfx ${chaves}/`, process.env, temp);

    expect(mkdir.status).toBe(0);
    expect(results.map((r) => r.stderr)).toEqual(results.map(() => ''));
    expect(before).toBe(false);
    expect(readableByNobody(already)).toBe(true);
    expect(copy.map((r) => r.status)).toEqual([0, 0]);
    expect(readableByNobody(path.join(chaves, 'municipio.pfx'))).toBe(true);
    expect(plainCopy.status).toBe(0);
    expect(readableByNobody(path.join(chaves, 'baixado.pfx'))).toBe(true);
  });

  it.skipIf(!canRun)('when a 0600 file is copied with cp alone or with install -m 0640, then it is unreadable as the document warns, and the documented fix makes it readable', (ctx) => {
    fs.chmodSync(temp, 0o755);
    const chaves = path.join(temp, 'chaves');
    for (const line of block('chaves-acl')) {
      const r = sh(adapt(line, chaves));
      if (/Operation not supported/.test(r.stderr)) ctx.skip();
    }
    const source = path.join(temp, 'municipio.pfx');
    fs.writeFileSync(source, 'z', { mode: 0o600 });

    sh(`cp ${source} ${chaves}/`);
    const afterCp = readableByNobody(path.join(chaves, 'municipio.pfx'));
    sh(`install -m 0640 ${source} ${chaves}/instalado.pfx`);
    const afterInstall = readableByNobody(path.join(chaves, 'instalado.pfx'));
    const fix = sh(adapt(block('chaves-fix')[0]!, chaves));

    expect(afterCp).toBe(false);
    expect(afterInstall).toBe(false);
    expect(fix.status).toBe(0);
    expect(readableByNobody(path.join(chaves, 'municipio.pfx'))).toBe(true);
  });
});

describe('INSTALL.md: backup and restore (section 4)', () => {
  let inst: Installation | undefined;
  afterEach(() => inst?.cleanup());

  it('when the data folder is backed up, lost and restored with the documented commands, then the same contra-chave comes back', async () => {
    inst = await newInstallation();
    const varLib = path.join(temp, 'var-lib');
    fs.mkdirSync(varLib);
    fs.renameSync(inst.dataDir, path.join(varLib, 'pec-rnds'));
    const dataDir = path.join(varLib, 'pec-rnds');
    const env = { RNDS_DATA_DIR: dataDir, RNDS_CHAVES_DIR: inst.chavesDir, PORT: '1' };
    const before = JSON.parse((await runScript('status', ['--json', '--no-server-check'], { env })).stdout);
    const owner = `${process.getuid?.() ?? 0}:${process.getgid?.() ?? 0}`;
    const adapt = (line: string) =>
      line
        .replace(/^sudo /, '')
        .replaceAll('/var/lib/pec-rnds', dataDir)
        .replaceAll('/var/lib', varLib)
        .replaceAll('/root/', `${temp}/`)
        .replace('pec-rnds:pec-rnds', owner);
    const runnable = (line: string) => !/systemctl|pec-rnds-status/.test(line);

    const backup = block('backup').map((line) => sh(adapt(line)));
    fs.rmSync(dataDir, { recursive: true }); // the disaster
    const restore = block('restore').filter(runnable).map((line) => sh(adapt(line)));
    const after = await runScript('status', ['--json', '--no-server-check'], { env });

    expect(backup.map((r) => r.status)).toEqual([0]);
    expect(restore.map((r) => r.status)).toEqual(restore.map(() => 0));
    expect(block('restore').some((line) => line.includes('pec-rnds-status'))).toBe(true);
    expect(JSON.parse(after.stdout).contraChave).toBe(before.contraChave);
    expect(fs.statSync(dataDir).mode & 0o777).toBe(0o700);
  });
});

describe('INSTALL.md: monitoring lines (section 5)', () => {
  let inst: Installation | undefined;
  afterEach(() => inst?.cleanup());
  const built = fs.existsSync(path.join(ROOT, 'dist/scripts/status.js'));

  /** The command without the sudo prefix (the test is already the service user) and with the wrapper of deploy/. */
  const adapt = (command: string) => command.replace(/^(\/usr\/bin\/)?sudo -n -u pec-rnds /, '').replace('/usr/local/bin/pec-rnds-status', path.join(DEPLOY, 'pec-rnds-status'));

  async function wrapperEnv(): Promise<NodeJS.ProcessEnv> {
    inst = await newInstallation();
    const envFile = path.join(temp, 'pec-rnds.env');
    fs.writeFileSync(envFile, `RNDS_DATA_DIR=${inst.dataDir}\nRNDS_CHAVES_DIR=${inst.chavesDir}\nPORT=1\n`);
    return { PATH: process.env.PATH, PEC_RNDS_ENV_FILE: envFile, PEC_RNDS_HOME: ROOT, PEC_RNDS_NODE: process.execPath };
  }

  it.skipIf(!built)('when the Zabbix agent runs the two UserParameter commands, then it gets the exit code and the JSON', async () => {
    const env = await wrapperEnv();
    const items = new Map(block('zabbix').map((line) => {
      const m = /^UserParameter=([^,]+),(.*)$/.exec(line)!;
      return [m[1]!, adapt(m[2]!)] as const;
    }));

    const check = sh(items.get('pec.rnds.check')!, env);
    const status = sh(items.get('pec.rnds.status')!, env);

    expect(check.stdout).toBe('2\n'); // nothing enabled: CRITICAL
    expect(JSON.parse(status.stdout)).toMatchObject({ state: 'disabled', check: { code: 2 } });
  });

  it.skipIf(!built)('when NRPE runs the Nagios command, then the plugin answers with the first line and exit code', async () => {
    const env = await wrapperEnv();
    const command = adapt(/^command\[check_pec_rnds\]=(.*)$/.exec(block('nagios')[0]!)![1]!);

    const result = sh(command, env);

    expect(result.status).toBe(2);
    expect(result.stdout.split('\n')[0]).toMatch(/^RNDS CRITICAL - desabilitado/);
  });
});
