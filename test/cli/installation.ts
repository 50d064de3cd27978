import { findIssuer } from '../../module/certificates/issuer.js';
/** Builds installations on disk (data + chaves folders) in each state the support check must recognise. */
import fs from 'node:fs';
import path from 'node:path';
import { openPkcs12, summarizeCertificate } from '../../module/certificates/index.js';
import { DEFAULT_TIME_ZONE } from '../../module/present/index.js';
import { SecretBox, StateStore } from '../../module/state/index.js';
import type { Connection } from '../../module/types.js';
import { FIXTURES, tempDir } from './run.js';

export const STANDARD = { file: 'aes256-default.p12', password: 'Senha@çã1' };

export interface Installation {
  root: string;
  dataDir: string;
  chavesDir: string;
  env(extra?: Record<string, string>): Record<string, string>;
  cleanup(): void;
}

/** The installation's contra-chave most tests configure (as RNDS_CONTRA_CHAVE would). */
export const CONTRA_CHAVE = '0916-0409-8915-9622-2161-0480-1336-1227';

/**
 * Empty chaves folder and a fresh state (nothing enabled), as after the first `npm start` with the installation's
 * contra-chave configured; `{ contraChave: null }` leaves it unconfigured (a generated test value).
 */
export async function newInstallation(options: { contraChave?: string | null } = {}): Promise<Installation> {
  const root = tempDir();
  const dataDir = path.join(root, 'data');
  const chavesDir = path.join(root, 'chaves');
  fs.mkdirSync(chavesDir);
  const contraChave = options.contraChave === undefined ? CONTRA_CHAVE : (options.contraChave ?? undefined);
  const store = await StateStore.open({ dataDir, contraChave });
  await store.close();
  return {
    root,
    dataDir,
    chavesDir,
    env: (extra = {}) => ({ RNDS_DATA_DIR: dataDir, RNDS_CHAVES_DIR: chavesDir, ...extra }),
    cleanup: () => fs.rmSync(root, { recursive: true, force: true }),
  };
}

/**
 * Puts `bytes` into the chaves folder as `file` and writes the enabled state the way the module does (state store,
 * sealed password), without a running server.
 */
export async function enableCertificate(
  inst: Installation,
  options: { file?: string; password?: string; bytes?: Buffer; connection?: Omit<Connection, 'environment'> | null } = {},
): Promise<void> {
  const file = options.file ?? STANDARD.file;
  const password = options.password ?? STANDARD.password;
  const bytes = options.bytes ?? fs.readFileSync(path.join(FIXTURES, STANDARD.file));
  fs.writeFileSync(path.join(inst.chavesDir, file), bytes);
  // Old enough for the one-shot scan to count it as fully written.
  const past = new Date(Date.now() - 60_000);
  fs.utimesSync(path.join(inst.chavesDir, file), past, past);
  const opened = openPkcs12(bytes, password, { checkValidity: false });
  // Kept at enable, as the server does: the renewal proof needs the CA that signed it.
  const issuerCertificate = findIssuer(opened.certPem, opened.chainPem);
  const store = await StateStore.open({ dataDir: inst.dataDir });
  try {
    const secretBox = await SecretBox.open(inst.dataDir);
    await store.update((state) => ({
      ...state,
      enabled: {
        file,
        identificadorSolicitante: '3167',
        services: ['RNDS', 'CADSUS'],
        environment: 'producao',
        enabledAt: new Date().toISOString(),
        certificate: summarizeCertificate(opened, new Date(), DEFAULT_TIME_ZONE),
        secret: secretBox.seal(password),
        ...(issuerCertificate ? { issuerCertificate } : {}),
      },
      connection: options.connection ? { ...options.connection, environment: 'producao' } : null,
    }));
  } finally {
    await store.close();
  }
}
