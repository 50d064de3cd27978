/**
 * Renders views/page.ejs and views/login.ejs with sample data, serves them on 127.0.0.1 with the same CSP the
 * module uses, and screenshots each state with headless Chromium into docs/preview/. It also drives the browser
 * JS (Copiar without navigator.clipboard, the password eye, the Desabilitar dialog, live updates from
 * /api/events) and prints one line per check; the exit code is 1 when a check fails.
 *
 *   npx tsx scripts/preview-views.ts            (needs /usr/bin/chromium, or CHROMIUM=/path/to/chrome)
 */
import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import ejs from 'ejs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { DEFAULT_TIME_ZONE, viewHelpers } from '../module/present/index.js';
import { lookAlikeNames } from '../module/chaves/index.js';
import { PEC_CHAVES_PATHS } from '../module/options.js';
import { viewsDir, assetsDir, packageRoot } from '../module/paths.js';
import type { Connection, Entry, Status } from '../module/types.js';

// PREVIEW_OUT lets the test suite run every check without touching the committed pictures.
const outDir = process.env.PREVIEW_OUT ?? path.join(packageRoot, 'docs', 'preview');
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

// ---------- sample data ----------

const DAY = 86_400_000;
const now = Date.now();
const iso = (offsetDays: number) => new Date(now + offsetDays * DAY).toISOString();

// The same helpers and folder paths the router passes.
const helpers = { ...viewHelpers(DEFAULT_TIME_ZONE), lookAlikeNames };
const paths = PEC_CHAVES_PATHS;

const entry = (file: string, status: Entry['status'] = 'ready'): Entry => ({
  file,
  size: 6_120,
  modifiedAt: iso(-2),
  ...(status === 'ready' ? { sha256: 'a3'.repeat(32) } : {}),
  status,
});

const threeCertificates: Entry[] = [
  entry('fundo-municipal-sao-jose.pfx'),
  entry('novo-certificado-2027.pfx', 'incomplete'),
  entry('prefeitura-e-cnpj-a1.p12'),
];

const baseStatus: Status = {
  state: 'disabled',
  contraChave: '3f9a-1c2e-7b4d-a0e5-55c1-9e2f-0d3b-8a71',
  contraChaveOrigin: 'instalacao',
  chavesDir: { path: '/opt/e-SUS/webserver/chaves', exists: true, readable: true },
  certificates: threeCertificates,
  enabled: null,
  connection: null,
  problems: [],
};

const okConnection: Connection = {
  status: 'ok',
  message: 'Conexão bem-sucedida',
  detail: 'O servidor de autenticação da RNDS aceitou o certificado e devolveu um token de acesso.',
  checkedAt: iso(-0.02),
  environment: 'producao',
};

const enabledInfo = (daysLeft: number): NonNullable<Status['enabled']> => ({
  file: 'fundo-municipal-sao-jose.pfx',
  identificadorSolicitante: '3167',
  services: ['RNDS', 'CADSUS'],
  environment: 'producao',
  enabledAt: iso(-155),
  certificate: {
    subject: 'CN=FUNDO MUNICIPAL DE SAUDE DE SAO JOSE:12345678000190, OU=Certificado PJ A1, O=ICP-Brasil, C=BR',
    commonName: 'FUNDO MUNICIPAL DE SAUDE DE SAO JOSE:12345678000190',
    razaoSocial: 'FUNDO MUNICIPAL DE SAÚDE DE SÃO JOSÉ',
    cnpj: '12345678000190',
    issuer: 'AC SOLUTI Multipla v5',
    serialNumber: '5f1e2d3c4b5a69788796a5b4c3d2e1f0',
    notBefore: iso(-155),
    notAfter: iso(daysLeft),
    daysLeft,
    sha256: 'a3'.repeat(32),
  },
});

const emptyForm = (environment = 'producao') => ({
  values: { services: ['RNDS'], environment },
  errors: {},
});

interface Scenario {
  name: string;
  view: 'page' | 'login';
  locals: Record<string, unknown>;
  /** Extra screenshots at 800 px wide. */
  narrow?: boolean;
}

const pageLocals = (status: Status, extra: Record<string, unknown> = {}) => ({
  status,
  csrfToken: 'preview-csrf-token',
  form: emptyForm(),
  defaultEnvironment: 'producao',
  paths,
  helpers,
  loginEnabled: true, // standalone, as `npm start` serves it
  ...extra,
});

const scenarios: Scenario[] = [
  { name: 'desabilitado', view: 'page', locals: pageLocals(baseStatus), narrow: true },
  { name: 'pasta-vazia', view: 'page', locals: pageLocals({ ...baseStatus, certificates: [] }) },
  {
    name: 'pasta-inexistente',
    view: 'page',
    locals: pageLocals({
      ...baseStatus,
      certificates: [],
      chavesDir: { path: '/opt/e-SUS/webserver/chaves', exists: false, readable: false },
      problems: [],
    }),
  },
  {
    name: 'erros-no-formulario',
    view: 'page',
    locals: pageLocals(baseStatus, {
      form: {
        values: { file: 'fundo-municipal-sao-jose.pfx', identificadorSolicitante: '31a7', services: ['RNDS'], environment: 'homologacao' },
        errors: {
          password: 'Senha incorreta para o certificado fundo-municipal-sao-jose.pfx. Digite a senha novamente.',
          identificadorSolicitante: 'Use somente números (até 12 dígitos), como o ID SOLICITAÇÃO do e-Gestor AB.',
        },
        formError: 'O certificado não foi habilitado. Corrija os campos indicados e tente de novo.',
      },
    }),
  },
  {
    name: 'habilitado',
    view: 'page',
    narrow: true,
    locals: pageLocals(
      { ...baseStatus, state: 'enabled', enabled: enabledInfo(210), connection: okConnection },
      { notice: { type: 'success', text: 'Certificado habilitado.' } },
    ),
  },
  {
    name: 'degradado',
    view: 'page',
    locals: pageLocals({
      ...baseStatus,
      state: 'degraded',
      certificates: [entry('prefeitura-e-cnpj-a1.p12')],
      enabled: enabledInfo(210),
      connection: {
        status: 'no-connection',
        message: 'Sem conexão',
        detail: 'O servidor ehr-auth.saude.gov.br não respondeu em 30 segundos. Verifique o acesso deste servidor à internet.',
        checkedAt: iso(-1),
        environment: 'producao',
      },
      problems: [
        {
          code: 'CERTIFICATE_MISSING',
          severity: 'critical',
          message:
            'O certificado habilitado fundo-municipal-sao-jose.pfx não está mais na pasta chaves. Copie o arquivo de volta para a pasta ou habilite outro certificado.',
        },
      ],
    }),
  },
  {
    name: 'vencendo',
    view: 'page',
    locals: pageLocals({
      ...baseStatus,
      state: 'enabled',
      enabled: enabledInfo(12),
      connection: null,
      problems: [
        {
          code: 'CERTIFICATE_EXPIRING',
          severity: 'warning',
          message: `O certificado habilitado vence em ${helpers.formatDate(iso(12))} (faltam 12 dias). Gere um novo certificado no e-Gestor AB e habilite-o antes dessa data.`,
        },
      ],
    }),
  },
  {
    name: 'nomes-hostis',
    view: 'page',
    locals: pageLocals({
      ...baseStatus,
      chavesDir: { path: '/tmp/chaves\u202e<b>x</b>', exists: true, readable: true },
      certificates: [
        entry('<img src=x onerror=alert(1)>.pfx'),
        entry('linha\nquebrada.pfx'),
        entry('\u001b[31mvermelho.p12', 'unreadable'),
        entry('fatura\u202excod.pfx', 'too-large'),
        entry('"><script>alert(2)</script>.p12', 'not-a-file'),
      ],
    }),
  },
  { name: 'entrar', view: 'login', locals: { csrfToken: '' } },
  { name: 'entrar-erro', view: 'login', locals: { csrfToken: 'preview-csrf-token', error: 'Token de acesso inválido. Confira o token e tente de novo.' } },
];

// ---------- a tiny server: /s/<scenario>/ is each scenario's base ----------

interface Live {
  locals: Record<string, unknown>;
  view: Scenario['view'];
  streams: Set<http.ServerResponse>;
  posts: string[];
}
const live = new Map<string, Live>();

const render = (view: string, locals: Record<string, unknown>) =>
  ejs.renderFile(path.join(viewsDir, view), locals, { views: [viewsDir] });

const contentTypes: Record<string, string> = {
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

const server = http.createServer((req, res) => {
  void (async () => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const match = /^\/s\/([a-z-]+)(\/.*)$/.exec(url.pathname);
    const scenario = match ? live.get(match[1]!) : undefined;
    if (!match || !scenario) {
      res.writeHead(url.pathname === '/favicon.ico' ? 204 : 404).end();
      return;
    }
    const rest = match[2]!;
    const base = `/s/${match[1]}`;
    const locals = { ...scenario.locals, base };
    if (rest.startsWith('/assets/')) {
      const file = path.resolve(assetsDir, '.' + decodeURIComponent(rest.slice('/assets'.length)));
      if (!file.startsWith(assetsDir + path.sep)) {
        res.writeHead(403).end();
        return;
      }
      try {
        const body = await fs.readFile(file);
        res.writeHead(200, { 'Content-Type': contentTypes[path.extname(file)] ?? 'application/octet-stream' }).end(body);
      } catch {
        res.writeHead(404).end();
      }
      return;
    }
    if (rest === '/' && req.method === 'GET') {
      const html = await render(scenario.view === 'page' ? 'page.ejs' : 'login.ejs', locals);
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': CSP }).end(html);
      return;
    }
    if (rest === '/fragmentos/estado') {
      const html = await render('partials/estado.ejs', locals);
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': CSP }).end(html);
      return;
    }
    if (rest === '/api/events') {
      res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store' });
      res.write('retry: 3000\n\n');
      if (scenario.locals.status) res.write(`event: status\ndata: ${JSON.stringify(scenario.locals.status)}\n\n`);
      scenario.streams.add(res);
      req.on('close', () => scenario.streams.delete(res));
      return;
    }
    if (req.method === 'POST') {
      scenario.posts.push(rest);
      res.writeHead(303, { Location: `${base}/` }).end();
      return;
    }
    res.writeHead(404).end();
  })().catch((error: unknown) => {
    console.error(error);
    if (!res.headersSent) res.writeHead(500);
    res.end();
  });
});

/** Changes a scenario's Status and tells its open pages, as the module's event hub does. */
function pushStatus(name: string, status: Status): void {
  const scenario = live.get(name)!;
  scenario.locals = { ...scenario.locals, status };
  for (const stream of scenario.streams) stream.write(`event: status\ndata: ${JSON.stringify(status)}\n\n`);
}

// ---------- checks ----------

const results: { ok: boolean; text: string }[] = [];
function check(ok: boolean, text: string): void {
  results.push({ ok, text });
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${text}`);
  armWatchdog();
}

/** How long a browser step may go without a finished check before it counts as stuck (not a speed check). */
const QUIET_MS = 120_000;
let watchdog: NodeJS.Timeout | undefined;
function armWatchdog(): void {
  clearTimeout(watchdog);
  watchdog = setTimeout(() => {
    console.error(`preview: parado há ${QUIET_MS / 1000} s depois de "${results.at(-1)?.text ?? 'início'}"; encerrando.`);
    process.exit(1);
  }, QUIET_MS);
  watchdog.unref();
}

async function openPage(browser: Browser, origin: string, name: string, width = 1280): Promise<{ page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport: { width, height: 800 }, locale: 'pt-BR', deviceScaleFactor: 1 });
  context.setDefaultTimeout(QUIET_MS);
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('dialog', (dialog) => {
    problems.push(`native dialog opened: ${dialog.message()}`);
    void dialog.dismiss();
  });
  page.on('request', (request) => {
    if (!request.url().startsWith(origin) && !request.url().startsWith('data:')) problems.push(`external request ${request.url()}`);
  });
  await page.goto(`${origin}/s/${name}/`);
  await page.evaluate(() => document.fonts.ready);
  return { page, problems };
}

async function shoot(page: Page, file: string): Promise<void> {
  await page.screenshot({ path: path.join(outDir, file), fullPage: true });
  console.log(`     docs/preview/${file}`);
}

async function main(): Promise<void> {
  await fs.mkdir(outDir, { recursive: true });
  const htmlDir = await fs.mkdtemp(path.join(os.tmpdir(), 'pec-rnds-preview-'));
  await fs.cp(assetsDir, path.join(htmlDir, 'assets'), { recursive: true });
  for (const scenario of scenarios) {
    live.set(scenario.name, { locals: scenario.locals, view: scenario.view, streams: new Set(), posts: [] });
    const html = await render(scenario.view === 'page' ? 'page.ejs' : 'login.ejs', { ...scenario.locals, base: '.' });
    await fs.writeFile(path.join(htmlDir, `${scenario.name}.html`), html);
  }
  console.log(`HTML: ${htmlDir}`);

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no address');
  const origin = `http://127.0.0.1:${address.port}`;

  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  try {
    for (const scenario of scenarios) {
      const { page, problems } = await openPage(browser, origin, scenario.name);
      await shoot(page, `${scenario.name}.png`);
      if (scenario.narrow) {
        await page.setViewportSize({ width: 800, height: 800 });
        await shoot(page, `${scenario.name}-800.png`);
      }
      check(problems.length === 0, `${scenario.name}: no console error, CSP violation, native dialog or external request ${problems.join(' | ')}`);
      await page.context().close();
    }

    await interactions(browser, origin);
  } finally {
    await browser.close();
    for (const scenario of live.values()) for (const stream of scenario.streams) stream.end();
    server.close();
    await fs.rm(htmlDir, { recursive: true, force: true });
  }
  const failed = results.filter((result) => !result.ok).length;
  console.log(`${results.length - failed}/${results.length} checks passed`);
  process.exitCode = failed ? 1 : 0;
}

async function interactions(browser: Browser, origin: string): Promise<void> {
  // Hostile names: escaped, and bidi/control characters shown as text.
  {
    const { page } = await openPage(browser, origin, 'nomes-hostis');
    const injected = await page.locator('img, #certificado script, b').count();
    check(injected === 0, 'when file names carry HTML, then no element is created from them');
    const labels = await page.locator('select[name=file] option').allTextContents();
    check(labels.some((label) => label.includes('<img src=x onerror=alert(1)>.pfx')), 'when a name carries HTML, then it is shown as text');
    check(labels.some((label) => label.includes('fatura\\u{202E}xcod.pfx')), 'when a name carries U+202E, then the option shows \\u{202E} instead');
    check(labels.some((label) => label.includes('\\u{000A}')) && labels.some((label) => label.includes('\\u{001B}')),
      'when names carry a newline or an ANSI escape, then they are shown as escapes');
    const values = await page.locator('select[name=file] option').evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value));
    check(values.includes('linha\nquebrada.pfx'), 'when a name has a newline, then the option value is still the exact file name');
    // A native dropdown cannot be screenshot; a list box shows the same option texts.
    await page.$eval('#certificado', (select) => { (select as HTMLSelectElement).size = 7; });
    await page.locator('.field-row').screenshot({ path: path.join(outDir, 'nomes-hostis-opcoes.png') });
    console.log('     docs/preview/nomes-hostis-opcoes.png');
    await page.context().close();
  }

  // Copiar on plain HTTP (no navigator.clipboard), the eye, identificador required only with RNDS.
  {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'pt-BR' });
    context.setDefaultTimeout(QUIET_MS);
    // A string, not a function: tsx would wrap a function with helpers that do not exist in the page.
    await context.addInitScript(`
      Object.defineProperty(Navigator.prototype, 'clipboard', { get: () => undefined, configurable: true });
      window.copied = [];
      const original = document.execCommand.bind(document);
      document.execCommand = (command, ...rest) => {
        const input = document.activeElement;
        if (command === 'copy') window.copied.push(input.value.slice(input.selectionStart, input.selectionEnd));
        return original(command, ...rest);
      };
    `);
    const page = await context.newPage();
    await page.goto(`${origin}/s/desabilitado/`);
    await page.click('#copiar');
    const copied = await page.evaluate(() => (window as unknown as { copied: string[] }).copied);
    check(copied[0] === baseStatus.contraChave, `when navigator.clipboard is missing, then Copiar selects and copies the contra-chave (${copied[0] ?? 'nothing'})`);
    check((await page.textContent('#copiar'))?.trim() === 'Copiado', 'when Copiar is clicked, then the button says "Copiado"');
    check((await page.textContent('#copiar-status'))?.includes('copiada') === true, 'when Copiar is clicked, then the live region says so');

    await page.fill('#senha', 'S3nh@');
    await page.click('#mostrar-senha');
    check((await page.getAttribute('#senha', 'type')) === 'text' && (await page.getAttribute('#mostrar-senha', 'aria-label')) === 'Ocultar senha',
      'when the eye is clicked, then the password shows and the button says "Ocultar senha"');
    await shoot(page, 'senha-visivel.png');
    await page.click('#mostrar-senha');
    check((await page.getAttribute('#senha', 'type')) === 'password', 'when the eye is clicked again, then the password is hidden');

    check(await page.$eval('#identificador', (input) => (input as HTMLInputElement).required), 'when RNDS is ticked, then identificador is required');
    await page.click('label:has(#servico-rnds)');
    check(!(await page.$eval('#identificador', (input) => (input as HTMLInputElement).required)), 'when RNDS is unticked, then identificador is not required');

    // Live: the list changes and then a certificate gets enabled elsewhere; the typed password stays.
    pushStatus('desabilitado', {
      ...baseStatus,
      certificates: [entry('fundo-municipal-sao-jose.pfx'), entry('novo-certificado-2027.pfx'), entry('prefeitura-e-cnpj-a1.p12')],
    });
    await page.waitForFunction(() => !(document.querySelector('option[value="novo-certificado-2027.pfx"]') as HTMLOptionElement).disabled);
    check(true, 'when the incomplete file finishes copying, then its option becomes selectable');
    await page.selectOption('select[name=file]', 'prefeitura-e-cnpj-a1.p12');
    pushStatus('desabilitado', { ...baseStatus, state: 'enabled', enabled: enabledInfo(210), connection: okConnection });
    await page.waitForSelector('#painel-habilitado');
    check((await page.inputValue('#senha')) === 'S3nh@', 'when the state changes live, then the typed password is kept');
    check((await page.getAttribute('#certificados', 'data-state')) === 'enabled', 'when the state changes live, then the panel says data-state="enabled"');
    await shoot(page, 'ao-vivo-habilitado.png');
    pushStatus('desabilitado', { ...baseStatus, certificates: [entry('fundo-municipal-sao-jose.pfx')] });
    await page.waitForSelector('#painel-habilitado', { state: 'detached' });
    check((await page.inputValue('select[name=file]')) === '', 'when the chosen file leaves the folder, then the selection is cleared');
    check(await page.$eval('#substituir', (details) => (details as HTMLDetailsElement).open), 'when it is disabled again, then the form is open');
    await context.close();
  }

  // Desabilitar asks first.
  {
    const { page } = await openPage(browser, origin, 'habilitado');
    const posts = live.get('habilitado')!.posts;
    await page.click('#desabilitar');
    await page.waitForSelector('#confirmar-desabilitar[open]');
    await shoot(page, 'confirmar-desabilitar.png');
    await page.click('#confirmar-desabilitar button[value=cancelar]');
    check(posts.length === 0, 'when the dialog is cancelled, then nothing is posted');
    await page.click('#desabilitar');
    await Promise.all([page.waitForResponse((response) => response.request().method() === 'POST'), page.click('#confirmar-desabilitar-botao')]);
    check(posts.length === 1 && posts[0] === '/desabilitar', `when Desabilitar is confirmed, then the form posts once (${posts.join(', ')})`);
    await page.context().close();
  }

  // Without JavaScript, forms still post and no control is left dead.
  {
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1280, height: 800 } });
    context.setDefaultTimeout(QUIET_MS);
    const page = await context.newPage();
    await page.goto(`${origin}/s/habilitado/`);
    check(!(await page.isVisible('#copiar')) && !(await page.isVisible('#mostrar-senha')), 'when JavaScript is off, then Copiar and the eye are not shown');
    const posts = live.get('habilitado')!.posts;
    const before = posts.length;
    await Promise.all([page.waitForResponse((response) => response.request().method() === 'POST'), page.click('#desabilitar')]);
    check(posts.length === before + 1, 'when JavaScript is off, then Desabilitar posts directly');
    await context.close();
  }
}

// A stuck browser step must not hang whoever runs this (the test suite runs it): when no check has finished for
// QUIET_MS, say where it stopped and leave. Progress resets it, so a slow, loaded machine is never cut short.
armWatchdog();
await main();
process.exit(process.exitCode ?? 0);
