/**
 * What `npm run status` knows of the direct sends the host reported (CONTRACT.md *Sends*), when it cannot ask the
 * server: `<data>/sends.sqlite` read here, read-only, through module/sends (createSends, lastDirectSend), and handed
 * to statusFromState as the server hands it — so RNDS_CREDENTIAL_REFUSED is the server's answer, word for word.
 *
 * The server keeps the file open and locked while it runs (WAL in exclusive mode), so this is for a server that is
 * down; one that holds the file without answering HTTP is said so, and the check goes on without the sends. Nothing
 * here writes the database: no migration (the server migrates at its start; a check run as root must leave no file
 * the service cannot open), no retention. The only thing it may remove is the lock folder a stopped server left
 * (killed, power cut), as the server's own start does, and only when no live process holds the data folder.
 */
import fs from 'node:fs';
import path from 'node:path';
import { SENDS_FILE, createSends, lastSendOf, type ClockRefusals, type LastDirectSend, type SendsSummary } from '../../module/sends/index.js';
import { lockOwner } from '../../module/state/index.js';
import { errorText, safe } from './cli.js';

/** *Status do último envio*: the last direct send in PEC's four words, as GET /api/envios answers it. */
export type LastSend = NonNullable<SendsSummary['lastSend']>;

/** What the check could learn of the sends, and from where (`--json`: `sends`). */
export type SendsRead =
  /** From the running server (its /api/status and /api/envios). */
  | { read: 'server'; lastSend: LastSend | null }
  /** From the sends database, read here with the server down. */
  | { read: 'database'; lastSend: LastSend | null }
  /** No sends.sqlite: the host never reported a send (nothing opened). */
  | { read: 'no-database' }
  /** A process holds the file (the server, not answering HTTP): nothing known of the sends. */
  | { read: 'locked'; message: string }
  /** The file cannot be read (damaged, newer schema, permissions). */
  | { read: 'unreadable'; message: string };

/** The Status's inputs (StatusSources) that come from the sends store — one line each in `readInputs`. */
export interface SendsStatusInputs {
  lastDirectSend: LastDirectSend | null;
  clockRefusals: ClockRefusals | null;
}

export interface SendsStoreRead {
  read: SendsRead;
  /** For statusFromState; empty when the store could not be read (the Status then says nothing of the sends). */
  inputs: Partial<SendsStatusInputs>;
}

/** Reads the sends database of `dataDir` (server down). Never throws: what cannot be read is said in `read`. */
export async function readSendsStore(options: {
  dataDir: string;
  timeZone: string;
  now: Date;
  enabledNotAfter: string | null;
  /** The server answered /health (but its Status could not be read): the locked message then says why. */
  serverAnswers?: boolean;
}): Promise<SendsStoreRead> {
  const file = path.join(options.dataDir, SENDS_FILE);
  if (!fs.existsSync(file)) return { read: { read: 'no-database' }, inputs: {} };
  const attempt = async (): Promise<SendsStoreRead> => {
    const inputs = await readInputs(options);
    const last = inputs.lastDirectSend;
    return { read: { read: 'database', lastSend: last && options.enabledNotAfter !== null ? lastSendOf(last, options.enabledNotAfter) : null }, inputs };
  };
  try {
    return await attempt();
  } catch (error) {
    if (!isLocked(error)) return { read: unreadable(file, error), inputs: {} };
    let owner: number | null | undefined;
    try {
      owner = await lockOwner(options.dataDir);
    } catch {
      owner = undefined; // the data folder's lock cannot be read: never take a lock that may be live
    }
    if (owner !== null) return { read: locked(owner, options.serverAnswers), inputs: {} };
    // No live process owns the data folder: the lock folder was left by a server that stopped without closing.
    fs.rmSync(`${file}.lock`, { recursive: true, force: true });
    try {
      return await attempt();
    } catch (again) {
      return { read: isLocked(again) ? locked(undefined, options.serverAnswers) : unreadable(file, again), inputs: {} };
    }
  }
}

/** The store's inputs to the Status, read through module/sends like the server reads them after each report. */
async function readInputs(options: { dataDir: string; timeZone: string; now: Date }): Promise<SendsStatusInputs> {
  // Read-only: no retention runs, so its days do not matter; the summary's enabledNotAfter is not asked either.
  const sends = createSends({ dataDir: options.dataDir, retentionDays: 1, timeZone: options.timeZone, now: () => options.now, enabledNotAfter: () => null, readOnly: true });
  try {
    return {
      lastDirectSend: await sends.lastDirectSend(),
      clockRefusals: await sends.recentClockRefusals(),
    };
  } finally {
    // Closed before the check goes on: a server started right after finds the file free.
    await sends.close();
  }
}

function isLocked(error: unknown): boolean {
  return /database is locked|SQLITE_BUSY/i.test(errorText(error));
}

function locked(owner: number | undefined, serverAnswers = false): SendsRead {
  const who = owner === undefined ? 'outro processo' : `o pec-rnds em execução (processo ${owner})`;
  const next = serverAnswers
    ? 'o servidor responde, mas não deu o Status dele a esta verificação: rode-a com o mesmo RNDS_MONITORING_TOKEN ou RNDS_ACCESS_TOKEN do serviço (ou como o usuário do serviço, que lê o arquivo access-token da pasta de dados).'
    : 'faça o servidor responder (veja acima) e rode de novo.';
  return {
    read: 'locked',
    message:
      `Envios não lidos: ${who} mantém o banco de envios (${SENDS_FILE}) aberto, e só ele pode lê-lo enquanto roda. ` +
      `Esta verificação não sabe o resultado do último envio direto: ${next}`,
  };
}

function unreadable(file: string, error: unknown): SendsRead {
  const reason = errorText(error).split('\n')[0] ?? '';
  // Reading a WAL database needs to read the file and to create its `-wal` beside it (removed again at close).
  const allowed = (target: string, mode: number): boolean => {
    try {
      fs.accessSync(target, mode);
      return true;
    } catch {
      return false;
    }
  };
  const what = !allowed(file, fs.constants.R_OK) || !allowed(path.dirname(file), fs.constants.W_OK)
    ? 'sem permissão: rode a verificação como o usuário do serviço (Linux: sudo -u pec-rnds …) ou como administrador.'
    : /mais nova/.test(reason)
      ? `${reason}.`
      : `o arquivo está danificado (${reason}). Com o serviço parado, restaure ${SENDS_FILE} da cópia de segurança da pasta de dados; ` +
        'sem cópia, mova o arquivo para outro nome e inicie o serviço, que cria um banco novo (os envios anteriores ficam no arquivo movido).';
  return { read: 'unreadable', message: safe(`Envios não lidos de ${file}: ${what}`) };
}
