/**
 * The package a host installs: `npm pack` on a copy of the project (so its `prepare` builds a fresh dist/ there and
 * the project's own dist/, used by other tests, is never touched), the tarball's file list, `npm install --omit=dev`
 * of that tarball into a throwaway host app that mounts the module at a sub-path; and, in the same copy, the
 * "build only when stale" step of npm start/status/inspect and the pipeable `npm run -s status -- --json`.
 *
 * Everything waits on process exits and output lines; a child that hangs is killed by its own watchdog (a safety net
 * for a stuck npm, not a speed budget), so the tests themselves have no timeout.
 */
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/files.js';
import { newInstallation, type Installation } from '../cli/installation.js';
import { ROOT, start, type Started } from './support.js';
import { run as runChild, type Ran } from '../support/spawn.js';

const NO_TIMEOUT = 0;
const WATCHDOG_MS = 15 * 60_000;
const FIXTURE = path.join(ROOT, 'test/fixtures/pkcs12/aes256-default.p12');
const FIXTURE_PASSWORD = 'Senha@çã1';

/** The environment for a child npm: ours minus what `npm test` set for itself (npm_lifecycle_*, npm_package_*…). */
function npmEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('npm_') || ['npm_config_cache', 'npm_config_registry', 'npm_config_userconfig'].includes(key)) env[key] = value;
  }
  return { ...env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false', ...extra };
}

function run(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<Ran> {
  return runChild(command, args, { cwd: options.cwd, env: options.env ?? npmEnv(), guardMs: WATCHDOG_MS });
}

function ok(result: Ran, what: string): Ran {
  if (result.code !== 0) throw new Error(`${what} exited ${result.code}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`);
  return result;
}

let temp: string;
let project: string;
let tarball: string;
let packedFiles: string[];

beforeAll(async () => {
  temp = tempDir('pec-rnds-pack-');
  project = path.join(temp, 'pec-rnds');
  const skip = new Set(['node_modules', 'dist', '.git', '.ci', 'data', 'chaves']);
  fs.cpSync(ROOT, project, {
    recursive: true,
    filter: (source) => {
      const relative = path.relative(ROOT, source);
      return !skip.has(relative.split(path.sep)[0]!) && !relative.endsWith('.tgz');
    },
  });
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(project, 'node_modules'), 'dir');

  const packed = ok(await run('npm', ['pack', '--json', '--pack-destination', temp], { cwd: project }), 'npm pack');
  // npm prints the prepare script's output before the JSON.
  const json = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('\n[') + 1)) as Array<{ filename: string; files: Array<{ path: string }> }>;
  tarball = path.join(temp, json[0]!.filename);
  packedFiles = json[0]!.files.map((f) => f.path).sort();
}, NO_TIMEOUT);

afterAll(() => {
  if (temp) fs.rmSync(temp, { recursive: true, force: true });
});

describe('the npm package', () => {
  it('when packed, then prepare has built dist/ and the tarball holds only what a host needs', () => {
    expect(fs.existsSync(tarball)).toBe(true);
    for (const needed of ['package.json', 'README.md', 'INSTALL.md', 'LICENSE', 'dist/module/index.js', 'dist/module/index.d.ts', 'views/page.ejs', 'views/assets/css/bold.css']) {
      expect(packedFiles).toContain(needed);
    }
    expect(packedFiles.some((f) => f.startsWith('dist/module/certificates/') && f.endsWith('.js'))).toBe(true);
    const unwanted = packedFiles.filter(
      (f) => /^(test|docs|scripts|module|deploy|\.ci)\//.test(f) || f.startsWith('dist/scripts/') || f.endsWith('.map') || f.endsWith('.tsbuildinfo') || (f.endsWith('.ts') && !f.endsWith('.d.ts')) || /\.(p12|pfx|png)$/.test(f),
    );
    expect(unwanted).toEqual([]);
    // The module's .js and .d.ts (one use case per file), the views and their assets and the live-region partials (~220): far fewer than a stray node_modules or test tree.
    expect(packedFiles.length).toBeLessThan(300);
  });

  describe('installed into a host app with npm install --omit=dev', () => {
    let host: Started | undefined;
    let inst: Installation;
    let origin: string;
    const admin = { 'x-usuario': 'admin' };

    beforeAll(async () => {
      const app = path.join(temp, 'host-app');
      fs.mkdirSync(app);
      fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'host-app', private: true, type: 'module', dependencies: { express: '^5.0.0' } }, null, 2));
      fs.writeFileSync(
        path.join(app, 'host.mjs'),
        [
          "import express from 'express';",
          "import { createRndsModule } from 'pec-rnds';",
          'const rnds = await createRndsModule({',
          '  chavesDir: process.env.CHAVES, dataDir: process.env.DADOS,',
          "  authorize: (req) => (req.get('x-usuario') === 'admin' ? 'admin' : false),",
          '});',
          'const app = express();',
          "app.get('/', (_req, res) => res.send('host'));",
          "app.use('/gestao/rnds', rnds.router);",
          "const server = app.listen(0, '127.0.0.1', () => console.log(`PORTA ${server.address().port}`));",
          "process.on('SIGTERM', async () => { server.close(); await rnds.close(); process.exit(0); });",
        ].join('\n'),
      );
      ok(await run('npm', ['install', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund', tarball], { cwd: app }), 'npm install <tgz>');

      inst = await newInstallation();
      fs.copyFileSync(FIXTURE, path.join(inst.chavesDir, 'municipio.p12'));
      const past = new Date(Date.now() - 60_000);
      fs.utimesSync(path.join(inst.chavesDir, 'municipio.p12'), past, past);
      host = start(process.execPath, ['host.mjs'], { cwd: app, env: { PATH: process.env.PATH, CHAVES: inst.chavesDir, DADOS: inst.dataDir } });
      const [, port] = await host.waitFor(/PORTA (\d+)/, WATCHDOG_MS);
      origin = `http://127.0.0.1:${port}`;
    }, NO_TIMEOUT);

    afterAll(async () => {
      await host?.stop();
      inst?.cleanup();
    });

    it('when installed, then only production dependencies came along (no typescript, vitest, tsx)', () => {
      const modules = path.join(temp, 'host-app/node_modules');
      expect(fs.existsSync(path.join(modules, 'pec-rnds/dist/module/index.js'))).toBe(true);
      for (const dev of ['typescript', 'vitest', 'tsx', 'playwright-core', 'supertest']) expect(fs.existsSync(path.join(modules, dev))).toBe(false);
    });

    it('when mounted at /gestao/rnds, then the screen renders with its assets and /api/status answers the authorized user only', async () => {
      const screen = await request(origin).get('/gestao/rnds/').set(admin).expect(200);
      expect(screen.text).toContain('Certificados');
      expect(screen.text).toContain('municipio.p12');
      const css = /href="([^"]*bold\.css[^"]*)"/.exec(screen.text)?.[1];
      expect(css).toBeDefined();
      await request(origin).get(new URL(css!, `${origin}/gestao/rnds/`).pathname).expect(200).expect('content-type', /css/);

      const status = await request(origin).get('/gestao/rnds/api/status').set(admin).expect(200);
      expect(status.body).toMatchObject({ state: 'disabled', enabled: null });
      expect(status.body.contraChave).toMatch(/^[0-9a-f]{4}(-[0-9a-f]{4}){7}$/);
      expect(status.body.certificates.map((e: { file: string }) => e.file)).toEqual(['municipio.p12']);
      expect(screen.text).toContain(status.body.contraChave);

      await request(origin).get('/gestao/rnds/api/status').expect(401);
      await request(origin).get('/').expect(200, 'host');
    });

    it('when a certificate is enabled through the installed package, then its worker opens the file and the state is enabled', async () => {
      // As the screen's JavaScript does: the session cookie and the CSRF token come with the page.
      const browser = request.agent(origin);
      const page = await browser.get('/gestao/rnds/').set(admin).expect(200);
      const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1];
      expect(csrf).toBeDefined();
      const enabled = await browser
        .post('/gestao/rnds/api/enable')
        .set({ ...admin, 'x-csrf-token': csrf!, origin })
        .send({ file: 'municipio.p12', password: FIXTURE_PASSWORD, identificadorSolicitante: '3167' });
      expect(enabled.status, JSON.stringify(enabled.body)).toBe(200);
      const status = await request(origin).get('/gestao/rnds/api/status').set(admin).expect(200);
      expect(status.body).toMatchObject({ state: 'enabled', enabled: { file: 'municipio.p12', identificadorSolicitante: '3167' } });
      expect(fs.readFileSync(path.join(inst.dataDir, 'state.json'), 'utf8')).not.toContain(FIXTURE_PASSWORD);
    });
  });
});

describe('npm start / status / inspect build only when the sources changed', () => {
  const build = () => run(process.execPath, ['scripts/build.mjs', '--if-stale'], { cwd: project });
  const indexJs = () => fs.readFileSync(path.join(project, 'dist/module/index.js'), 'utf8');
  /** A mark in the build output that only a rebuild of index.ts removes. */
  const mark = () => fs.appendFileSync(path.join(project, 'dist/module/index.js'), '\n// not rebuilt\n');

  it('when nothing changed since the build, then nothing is compiled; when a source changes, it is', async () => {
    mark();
    ok(await build(), 'build --if-stale (fresh)');
    expect(indexJs()).toContain('// not rebuilt');

    fs.appendFileSync(path.join(project, 'module/index.ts'), '\nexport const builtMark = 1;\n');
    ok(await build(), 'build --if-stale (index.ts changed)');
    expect(indexJs()).not.toContain('// not rebuilt');
    expect(indexJs()).toContain('builtMark');

    mark();
    ok(await build(), 'build --if-stale (fresh again)');
    expect(indexJs()).toContain('// not rebuilt');
  }, NO_TIMEOUT);

  it('when a source does not compile, then it fails in pt-BR and keeps failing until it is fixed', async () => {
    const file = path.join(project, 'module/broken.ts');
    fs.writeFileSync(file, 'export const broken: number = "texto";\n');
    const first = await build();
    expect(first.code).not.toBe(0);
    expect(first.stderr).toContain('a compilação falhou');
    const second = await build(); // nothing changed since, but the last build failed: still stale
    expect(second.code).not.toBe(0);

    fs.rmSync(file);
    ok(await build(), 'build --if-stale (file removed)');
    mark();
    ok(await build(), 'build --if-stale (fresh)');
    expect(indexJs()).toContain('// not rebuilt');
  }, NO_TIMEOUT);

  it('when `npm run -s status -- --json` is piped, then stdout is the JSON alone', async () => {
    const inst = await newInstallation();
    try {
      const result = await run('npm', ['run', '-s', 'status', '--', '--json', '--no-server-check'], {
        cwd: project,
        env: npmEnv({ RNDS_DATA_DIR: inst.dataDir, RNDS_CHAVES_DIR: inst.chavesDir }),
      });
      expect(result.code, result.stderr).toBe(2);
      expect(JSON.parse(result.stdout)).toMatchObject({ state: 'disabled', check: { label: 'CRITICAL' } });
    } finally {
      inst.cleanup();
    }
  }, NO_TIMEOUT);
});
