import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/files.js';
import { createTestCertificate } from '../../scripts/lib/test-certificate.js';
import { createTestCa } from '../doubles/pki.js';
import { freePort, runScript } from '../cli/run.js';
import { compiled } from '../support/spawn.js';
import { launchChromium, watchProblems } from '../support/browser.js';
import { CERTS, FIXTURES } from '../support/harness.js';
import { HANG_MS, waitForListening } from '../support/wait.js';
import { DEPLOY, nginxConf, start, waitForHttp, which, type Started } from './support.js';

const nginx = which('nginx');
const SNIPPET = path.join(DEPLOY, 'nginx/pec-rnds-location.conf');
const SITE = path.join(DEPLOY, 'nginx/pec-rnds-site.conf');
const TOKEN = 'token-do-teste-nginx-0123456789';

function nginxTest(prefix: string, conf: string): { status: number | null; output: string } {
  const file = path.join(prefix, 'nginx.conf');
  fs.writeFileSync(file, conf);
  const result = spawnSync(nginx!, ['-t', '-q', '-p', prefix, '-e', path.join(prefix, 'error.log'), '-c', file], { encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe.skipIf(!nginx)('deploy/nginx (nginx installed)', () => {
  let prefix: string;
  beforeAll(() => {
    prefix = tempDir('pec-rnds-nginx-');
    // nginx workers run as an unprivileged user when the tests run as root: they must reach the temp folders.
    fs.chmodSync(prefix, 0o755);
  });
  afterAll(() => fs.rmSync(prefix, { recursive: true, force: true }));

  it('when the location snippet is included in a server block, then nginx -t accepts it', () => {
    const result = nginxTest(prefix, nginxConf(prefix, `  server { listen 127.0.0.1:8080; include ${SNIPPET}; }`));

    expect(result.output).toBe('');
    expect(result.status).toBe(0);
  });

  it('when the full HTTPS site example is used (its TLS files and include path pointed at test copies), then nginx -t accepts it', () => {
    const tls = path.join(prefix, 'tls');
    fs.mkdirSync(tls, { recursive: true });
    const ca = createTestCa('pec.municipio.gov.br');
    fs.writeFileSync(path.join(tls, 'fullchain.pem'), ca.certPem);
    fs.writeFileSync(path.join(tls, 'privkey.pem'), ca.keyPem);
    const site = fs
      .readFileSync(SITE, 'utf8')
      .replace('/etc/ssl/pec/fullchain.pem', path.join(tls, 'fullchain.pem'))
      .replace('/etc/ssl/pec/privkey.pem', path.join(tls, 'privkey.pem'))
      .replace('/etc/nginx/snippets/pec-rnds-location.conf', SNIPPET);
    fs.writeFileSync(path.join(prefix, 'site.conf'), site);

    const result = nginxTest(prefix, nginxConf(prefix, `  include ${path.join(prefix, 'site.conf')};`));

    expect(result.output).toBe('');
    expect(result.status).toBe(0);
  });

  describe('in front of the standalone server at /rnds', () => {
    let server: Started;
    let proxy: Started;
    let proxyUrl: string;
    let chavesDir: string;
    let work: string;

    beforeAll(async () => {
      work = tempDir('pec-rnds-proxy-');
      chavesDir = path.join(work, 'chaves');
      fs.mkdirSync(chavesDir);
      server = start(process.execPath, [compiled('scripts/serve.ts')], {
        env: {
          PATH: process.env.PATH,
          PORT: '0',
          HOST: '127.0.0.1',
          RNDS_BASE_PATH: '/rnds',
          RNDS_TRUST_PROXY: 'loopback',
          RNDS_CHAVES_DIR: chavesDir,
          RNDS_DATA_DIR: path.join(work, 'data'),
          RNDS_ACCESS_TOKEN: TOKEN,
        },
      });
      const [, serverPort] = await server.waitFor(/Tela:\s+http:\/\/127\.0\.0\.1:(\d+)\/rnds\//);
      const port = await freePort();
      const snippet = fs.readFileSync(SNIPPET, 'utf8').replace('http://127.0.0.1:8787', `http://127.0.0.1:${serverPort}`);
      fs.writeFileSync(path.join(prefix, 'snippet.conf'), snippet);
      fs.writeFileSync(path.join(prefix, 'proxy.conf'), nginxConf(prefix, `  server { listen 127.0.0.1:${port}; include ${path.join(prefix, 'snippet.conf')}; }`));
      proxy = start(nginx!, ['-p', prefix, '-e', path.join(prefix, 'error.log'), '-c', path.join(prefix, 'proxy.conf'), '-g', 'daemon off;']);
      proxyUrl = `http://127.0.0.1:${port}`;
      await waitForHttp(`${proxyUrl}/rnds/health`);
    });
    afterAll(async () => {
      await proxy?.stop();
      await server?.stop();
      fs.rmSync(work, { recursive: true, force: true });
    });

    it('when /rnds/health is asked through nginx, then the module answers it', async () => {
      const response = await fetch(`${proxyUrl}/rnds/health`);

      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ status: 'ok', rnds: 'disabled' });
    });

    it('when /rnds is asked without the final slash, then nginx redirects to /rnds/', async () => {
      const response = await fetch(`${proxyUrl}/rnds`, { redirect: 'manual' });

      expect(response.status).toBe(301);
      expect(new URL(response.headers.get('location')!, proxyUrl).pathname).toBe('/rnds/');
    });

    it('when the API is asked through nginx without and with the token, then the module access rules still apply', async () => {
      const anonymous = await fetch(`${proxyUrl}/rnds/api/status`);
      const withToken = await fetch(`${proxyUrl}/rnds/api/status`, { headers: { authorization: `Bearer ${TOKEN}` } });

      expect(anonymous.status).toBe(401);
      expect((await anonymous.json()).error.code).toBe('UNAUTHENTICATED');
      expect(withToken.status).toBe(200);
      expect((await withToken.json()).state).toBe('disabled');
    });

    it('when a certificate is dropped while the screen listens to /rnds/api/events, then the event passes through nginx', async () => {
      const controller = new AbortController();
      const response = await fetch(`${proxyUrl}/rnds/api/events`, { headers: { authorization: `Bearer ${TOKEN}`, accept: 'text/event-stream' }, signal: controller.signal });
      expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
      let received = '';
      const nextStatusEvent = async (): Promise<{ certificates: Array<{ file: string }> }> => {
        for (;;) {
          const end = received.indexOf('\n\n', received.indexOf('event: status'));
          if (received.includes('event: status') && end > 0) {
            const block = received.slice(received.indexOf('event: status'), end);
            received = received.slice(end + 2);
            return JSON.parse(block.split('\n').find((l) => l.startsWith('data: '))!.slice(6));
          }
          const { value, done } = await reader.read();
          if (done) throw new Error('event stream ended');
          received += value;
        }
      };

      const initial = await nextStatusEvent();
      fs.writeFileSync(path.join(chavesDir, 'municipio.pfx'), createTestCertificate({ password: 'x' }).pfx);
      let after = await nextStatusEvent();
      while (!after.certificates.some((c) => c.file === 'municipio.pfx')) after = await nextStatusEvent();
      controller.abort();

      expect(initial.certificates).toEqual([]);
      expect(after.certificates.map((c) => c.file)).toEqual(['municipio.pfx']);
    });

    it('when npm run status is pointed at the proxied /health with --url, then it finds the server answering', async () => {
      const result = await runScript('status', ['--json', '--url', `${proxyUrl}/rnds/health`], {
        env: { RNDS_CHAVES_DIR: chavesDir, RNDS_DATA_DIR: path.join(work, 'data') },
      });

      expect(JSON.parse(result.stdout).server).toMatchObject({ reachable: true, url: `${proxyUrl}/rnds/health` });
      expect(result.code).toBe(2); // disabled: CRITICAL, as it should be
    });
  });
  describe("INSTALL.md's HTTPS site on a port other than 443, with a browser", () => {
    const PUBLIC_HOST = 'pec.municipio.gov.br';
    let server: Started;
    let proxy: Started;
    let origin: string;
    let direct: string;
    let work: string;

    beforeAll(async () => {
      work = tempDir('pec-rnds-site-');
      fs.chmodSync(work, 0o755);
      const chavesDir = path.join(work, 'chaves');
      fs.mkdirSync(chavesDir);
      fs.copyFileSync(path.join(FIXTURES, CERTS.legacy.file), path.join(chavesDir, CERTS.legacy.file));
      // The service as INSTALL.md §3 configures it behind the proxy.
      server = start(process.execPath, [compiled('scripts/serve.ts')], {
        env: {
          PATH: process.env.PATH,
          PORT: '0',
          HOST: '127.0.0.1',
          RNDS_BASE_PATH: '/rnds',
          RNDS_TRUST_PROXY: 'loopback',
          RNDS_ALLOWED_HOSTS: PUBLIC_HOST,
          RNDS_CONNECTION_CHECK_MINUTES: '0',
          RNDS_CHAVES_DIR: chavesDir,
          RNDS_DATA_DIR: path.join(work, 'data'),
          RNDS_ACCESS_TOKEN: TOKEN,
        },
      });
      const [, serverPort] = await server.waitFor(/Tela:\s+http:\/\/127\.0\.0\.1:(\d+)\/rnds\//);
      direct = `http://127.0.0.1:${serverPort}`;
      // The site file itself, only its addresses moved: HTTPS on a free port instead of 443 (and HTTP instead of 80).
      const [httpsPort, httpPort] = [await freePort(), await freePort()];
      const ca = createTestCa('Prefeitura Test CA');
      const tls = ca.issue({ commonName: PUBLIC_HOST, dnsNames: [PUBLIC_HOST], usage: 'server' });
      fs.writeFileSync(path.join(work, 'fullchain.pem'), `${tls.certPem}${ca.certPem}`);
      fs.writeFileSync(path.join(work, 'privkey.pem'), tls.keyPem);
      fs.writeFileSync(path.join(work, 'snippet.conf'), fs.readFileSync(SNIPPET, 'utf8').replace('http://127.0.0.1:8787', `http://127.0.0.1:${serverPort}`));
      const site = fs
        .readFileSync(SITE, 'utf8')
        .replace(/^\s*listen \[::\]:\d+.*$/gm, '')
        .replace('listen 443 ssl;', `listen 127.0.0.1:${httpsPort} ssl;`)
        .replace('listen 80;', `listen 127.0.0.1:${httpPort};`)
        .replace('/etc/ssl/pec/fullchain.pem', path.join(work, 'fullchain.pem'))
        .replace('/etc/ssl/pec/privkey.pem', path.join(work, 'privkey.pem'))
        .replace('/etc/nginx/snippets/pec-rnds-location.conf', path.join(work, 'snippet.conf'));
      expect(site).toContain(`listen 127.0.0.1:${httpsPort} ssl;`);
      fs.writeFileSync(path.join(work, 'site.conf'), site);
      fs.writeFileSync(path.join(work, 'nginx.conf'), nginxConf(work, `  include ${path.join(work, 'site.conf')};`));
      proxy = start(nginx!, ['-p', work, '-e', path.join(work, 'error.log'), '-c', path.join(work, 'nginx.conf'), '-g', 'daemon off;']);
      origin = `https://${PUBLIC_HOST}:${httpsPort}`;
      await waitForListening(httpsPort);
    });
    afterAll(async () => {
      await proxy?.stop();
      await server?.stop();
      fs.rmSync(work, { recursive: true, force: true });
    });

    it('when the admin logs in and posts Habilitar at https://host:port/rnds/, then the certificate is enabled (the Origin with its port is accepted)', async () => {
      const chromium = await launchChromium(PUBLIC_HOST);
      try {
        // The site's TLS certificate comes from a test CA the browser does not know.
        const context = await chromium.browser.newContext({ ignoreHTTPSErrors: true, locale: 'pt-BR' });
        context.setDefaultTimeout(HANG_MS);
        const page = await context.newPage();
        const problems = watchProblems(page, origin);
        await page.goto(`${origin}/rnds/entrar?token=${TOKEN}`);
        await page.waitForSelector('#certificados');
        await page.selectOption('#certificado', CERTS.legacy.file);
        await page.fill('#senha', CERTS.legacy.password);
        await page.check('#servico-rnds');
        await page.fill('#identificador', '3167');
        const [answer] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.click('#habilitar')]);

        expect(new URL(answer.url()).pathname).toMatch(/^\/rnds\//);
        expect((await answer.request().allHeaders()).origin).toBe(origin); // the port is in it
        expect(answer.status(), await answer.text().catch(() => '')).toBeLessThan(400);
        await page.waitForSelector('#painel-habilitado');
        const status = await fetch(`${direct}/rnds/api/status`, { headers: { authorization: `Bearer ${TOKEN}` } });
        expect((await status.json()).state).toBe('enabled');
        expect(problems).toEqual([]);
      } finally {
        await chromium.close();
      }
    });
  });
});
