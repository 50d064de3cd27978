import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseEnv as parseEnvFile } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../support/files.js';
import { parseEnv } from '../../module/config/env.js';
import { newInstallation, type Installation } from '../cli/installation.js';
import { DEPLOY, ROOT, which } from './support.js';

const read = (file: string) => fs.readFileSync(path.join(DEPLOY, file), 'utf8');
const UNIT = 'systemd/pec-rnds.service';

/** `Key=value` lines of a systemd unit (last one wins, as systemd reads them). */
function unitValues(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (m) values.set(m[1]!, m[2]!);
  }
  return values;
}

let temp: string;
beforeEach(() => {
  temp = tempDir('pec-rnds-deploy-');
});
afterEach(() => fs.rmSync(temp, { recursive: true, force: true }));

describe('deploy/systemd/pec-rnds.service', () => {
  const systemdAnalyze = which('systemd-analyze');

  it.skipIf(!systemdAnalyze)('when checked by systemd-analyze verify, then systemd reports nothing about it', () => {
    // verify checks that ExecStart's program exists: point it at this machine's node when /usr/bin/node is absent.
    let unit = read(UNIT);
    if (!fs.existsSync('/usr/bin/node')) unit = unit.replace('ExecStart=/usr/bin/node', `ExecStart=${process.execPath}`);
    fs.writeFileSync(path.join(temp, 'pec-rnds.service'), unit);

    const result = spawnSync(systemdAnalyze!, ['verify', path.join(temp, 'pec-rnds.service')], { encoding: 'utf8' });

    expect(result.stderr.split('\n').filter((l) => l.includes('pec-rnds.service'))).toEqual([]);
    expect(result.status).toBe(0);
  });

  it.skipIf(!systemdAnalyze)('when its hardening is scored offline, then systemd rates the exposure OK or better', () => {
    fs.writeFileSync(path.join(temp, 'pec-rnds.service'), read(UNIT).replace('ExecStart=/usr/bin/node', `ExecStart=${process.execPath}`));

    const result = spawnSync(systemdAnalyze!, ['security', '--offline=yes', '--no-pager', path.join(temp, 'pec-rnds.service')], { encoding: 'utf8' });
    const score = /Overall exposure level for pec-rnds\.service: ([\d.]+) (\w+)/.exec(result.stdout);

    expect(score?.[2]).toMatch(/^(SAFE|OK)$/);
  });

  it('when compared with the env example, the build layout and PEC, then the paths agree', () => {
    const unit = unitValues(read(UNIT));
    const env = parseEnvFile(read('pec-rnds.env.example'));

    expect(unit.get('EnvironmentFile')).toBe('/etc/pec-rnds.env');
    expect(unit.get('ExecStart')).toBe('/usr/bin/node /opt/pec-rnds/dist/scripts/serve.js');
    expect(fs.existsSync(path.join(ROOT, 'scripts/serve.ts'))).toBe(true);
    expect(env.RNDS_DATA_DIR).toBe(`/var/lib/${unit.get('StateDirectory')}`);
    expect(unit.get('ReadWritePaths')).toBe(env.RNDS_DATA_DIR);
    expect(unit.get('StateDirectoryMode')).toBe('0700');
    expect(unit.get('Restart')).toBe('on-failure');
    expect(unit.get('After')).toContain('e-SUS-PEC.service');
  });
});

describe('deploy/*.env.example', () => {
  it.each(['pec-rnds.env.example', 'windows/pec-rnds.env.example'])('when %s is read as node --env-file reads it, then the module accepts every variable', (file) => {
    const values = parseEnvFile(read(file));

    const env = parseEnv(values);

    expect(Object.keys(values).every((k) => /^(HOST|PORT|RNDS_[A-Z_]+)$/.test(k))).toBe(true);
    expect(env.PORT).toBe(8787);
    expect(env.chavesDirSource).toBe('env');
  });

  it('when the Linux example is compared with the proxy configs, then base path and port match what nginx and Apache forward', () => {
    const env = parseEnv(parseEnvFile(read('pec-rnds.env.example')));
    const nginx = read('nginx/pec-rnds-location.conf');
    const apache = read('apache/pec-rnds.conf');

    expect(env.RNDS_BASE_PATH).toBe('/rnds');
    expect(env.RNDS_TRUST_PROXY).toBe('loopback');
    expect(env.RNDS_CHAVES_DIR).toBe('/opt/e-SUS/webserver/chaves');
    expect(nginx).toContain(`location ${env.RNDS_BASE_PATH}/ {`);
    // No URI after the port: nginx forwards /rnds/... unchanged, as RNDS_BASE_PATH expects.
    expect(nginx).toMatch(new RegExp(`proxy_pass http://${env.HOST}:${env.PORT};`));
    expect(nginx).toContain('proxy_buffering off;');
    expect(apache).toContain(`ProxyPass        ${env.RNDS_BASE_PATH}/ http://${env.HOST}:${env.PORT}${env.RNDS_BASE_PATH}/ flushpackets=on`);
  });
});

describe('deploy/windows', () => {
  it('when the WinSW XML is read, then it is balanced XML that starts serve.js with the same env file as pec-rnds-status.cmd', () => {
    const xml = read('windows/pec-rnds.xml');
    const cmd = read('windows/pec-rnds-status.cmd');
    const body = xml.replace(/<!--[\s\S]*?-->/g, '');
    const stack: string[] = [];
    for (const [, closing, name, selfClosing] of body.matchAll(/<(\/?)([a-zA-Z]+)[^>]*?(\/?)>/g)) {
      if (selfClosing) continue;
      if (closing) expect(stack.pop()).toBe(name);
      else stack.push(name!);
    }
    const envFile = /--env-file="([^"]+)"/.exec(xml)?.[1];

    expect(stack).toEqual([]);
    expect(/<id>pec-rnds<\/id>/.test(xml)).toBe(true);
    expect(/<onfailure action="restart"/.test(xml)).toBe(true);
    expect(xml).toContain('dist\\scripts\\serve.js');
    expect(envFile).toBe('C:\\ProgramData\\pec-rnds\\pec-rnds.env');
    expect(cmd).toContain(`--env-file="${envFile}"`);
    expect(cmd).toContain('dist\\scripts\\status.js');
    expect(read('windows/pec-rnds.env.example')).toContain('RNDS_CHAVES_DIR=C:\\Program Files\\e-SUS\\webserver\\chaves');
  });
});

describe('deploy/pec-rnds-status (the Linux wrapper for monitoring)', () => {
  let inst: Installation | undefined;
  afterEach(() => inst?.cleanup());

  it('when the env file cannot be read, then it answers like a monitoring plugin: UNKNOWN, exit 3', () => {
    const result = spawnSync(path.join(DEPLOY, 'pec-rnds-status'), [], { encoding: 'utf8', env: { PATH: process.env.PATH, PEC_RNDS_ENV_FILE: path.join(temp, 'nao-existe.env') } });

    expect(result.status).toBe(3);
    expect(result.stdout).toMatch(/^RNDS UNKNOWN - /);
  });

  const built = fs.existsSync(path.join(ROOT, 'dist/scripts/status.js'));
  it.skipIf(!built)('when run with an env file (built package), then it reports the installation that file describes', async () => {
    inst = await newInstallation();
    const envFile = path.join(temp, 'pec-rnds.env');
    fs.writeFileSync(envFile, `RNDS_DATA_DIR=${inst.dataDir}\nRNDS_CHAVES_DIR=${inst.chavesDir}\nPORT=1\n`);

    const result = spawnSync(path.join(DEPLOY, 'pec-rnds-status'), ['--json'], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, PEC_RNDS_ENV_FILE: envFile, PEC_RNDS_HOME: ROOT, PEC_RNDS_NODE: process.execPath },
    });

    expect(result.status).toBe(2);
    expect(JSON.parse(result.stdout)).toMatchObject({ state: 'disabled', dataDir: inst.dataDir, server: { reachable: false } });
  });
});

describe('deploy/apache/pec-rnds.conf', () => {
  const apachectl = which('apache2ctl') ?? which('apachectl');
  it.skipIf(!apachectl)('when included in a virtual host, then apache2ctl -t accepts it (Apache installed)', () => {
    const conf = path.join(temp, 'test.conf');
    const modules = ['proxy', 'proxy_http', 'headers', 'env', 'alias']
      .map((m) => `<IfModule !${m}_module>\n  LoadModule ${m}_module /usr/lib/apache2/modules/mod_${m}.so\n</IfModule>`)
      .join('\n');
    fs.writeFileSync(conf, `Include /etc/apache2/apache2.conf\n${modules}\n<VirtualHost 127.0.0.1:18443>\n  Include ${path.join(DEPLOY, 'apache/pec-rnds.conf')}\n</VirtualHost>\n`);

    const result = spawnSync(apachectl!, ['-t', '-f', conf], { encoding: 'utf8' });

    expect(result.stderr).toContain('Syntax OK');
  });
});
