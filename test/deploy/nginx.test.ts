import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/files.js';
import { createTestCertificate } from '../../scripts/lib/test-certificate.js';
import { createTestCa } from '../doubles/pki.js';
import { freePort, runScript } from '../cli/run.js';
import { compiled } from '../support/spawn.js';
import { DEPLOY, start, waitForHttp, which, type Started } from './support.js';

const nginx = which('nginx');
const SNIPPET = path.join(DEPLOY, 'nginx/pec-rnds-location.conf');
const SITE = path.join(DEPLOY, 'nginx/pec-rnds-site.conf');
const TOKEN = 'token-do-teste-nginx-0123456789';

/** A self-contained nginx.conf: temp paths under `prefix`, `body` inside http { }. */
function nginxConf(prefix: string, body: string): string {
  return `worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${prefix}/body;
  proxy_temp_path ${prefix}/proxy;
${body}
}
`;
}

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
});
