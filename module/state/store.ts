/**
 * The module's durable state: `<dataDir>/state.json`, validated on load, replaced atomically,
 * written by one process (lock) and one writer at a time (queue).
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import { RndsError } from '../errors.js';
import { CONTRA_CHAVE_SHAPE, generateContraChave, normalizeContraChave } from './contra-chave.js';
import { FILE_NAMES, ensureDir, errnoCode, removeLeftoverTempFiles, writeFileAtomic } from './files.js';
import { REAL_FS, type FsSeam } from './fs-seam.js';
import { acquireLock, type DataDirLock } from './lock.js';
import { PersistedStateSchema, StoredSecretSchema, type PersistedState } from './schema.js';

export interface StateStoreOptions {
  /** Where state.json, the lock, the secret key and the audit trail live (created 0700). */
  dataDir: string;
  /**
   * The installation's contra-chave from the host option or the environment, used when the state is created
   * (a state that already exists is reconciled by `Enablement.adoptConfiguredContraChave`). Invalid → INVALID_INPUT.
   */
  contraChave?: string;
  /** Clock for `createdAt` (tests). */
  now?: () => Date;
  /** Sees every file operation on the data folder before it runs (crash tests); default the real `fs`. */
  fsSeam?: FsSeam;
}

/** Receives a private copy of the state; returns the next state (or mutates the copy). */
export type StateMutator = (draft: PersistedState) => PersistedState | void | Promise<PersistedState | void>;

function serialize(state: PersistedState): string {
  return `${JSON.stringify(state, null, 2)}\n`;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** A contra-chave as it appears in a state file, even a damaged one (letters kept as written). */
const CONTRA_CHAVE_IN_TEXT = /"contraChave"\s*:\s*"([0-9A-Za-z]{4}(?:-[0-9A-Za-z]{4}){7})"/;
const CREATED_AT_IN_TEXT = /"createdAt"\s*:\s*"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+(?:Z|[+-][0-9]{2}:[0-9]{2}))"/;

/**
 * What to do with a state file that cannot be loaded, without ever costing the contra-chave: it names the
 * contra-chave when it can still be read from the damaged text, and gives the exact file to recreate with it.
 */
function keepContraChaveAdvice(text: string | null): string {
  const contraChave = text === null ? undefined : CONTRA_CHAVE_IN_TEXT.exec(text)?.[1];
  const createdAt = (text === null ? undefined : CREATED_AT_IN_TEXT.exec(text)?.[1]) ?? new Date().toISOString();
  const fresh = (value: string) => JSON.stringify({ version: 1, contraChave: value, createdAt, enabled: null, connection: null });
  const keep = contraChave
    ? `A contra-chave desta instalação, lida do arquivo danificado, é ${contraChave}: anote-a antes de qualquer coisa. ` +
      'Restaure o arquivo a partir de um backup; sem backup, renomeie-o (por exemplo para state.json.danificado) e crie no lugar ' +
      `um state.json com exatamente este conteúdo: ${fresh(contraChave)} — depois inicie de novo e habilite o certificado outra vez.`
    : 'A contra-chave desta instalação não pôde ser lida dele: procure-a num backup, numa anotação da instalação ou no e-Gestor AB. ' +
      'Restaure o arquivo a partir de um backup; sem backup, renomeie-o (por exemplo para state.json.danificado) e crie no lugar ' +
      `um state.json com este conteúdo, trocando CONTRA-CHAVE pela contra-chave desta instalação: ${fresh('CONTRA-CHAVE')} — ` +
      'depois inicie de novo e habilite o certificado outra vez.';
  return `${keep} Não apague nem mova o arquivo sem fazer isso: sem ele o pec-rnds criaria uma nova contra-chave, ` +
    'que precisaria ser cadastrada de novo no e-Gestor AB.';
}

function unreadable(file: string, reason: string, text: string | null, cause?: unknown): RndsError {
  return new RndsError('STATE_UNREADABLE', `Não foi possível ler a configuração do pec-rnds em ${file}: ${reason}. ${keepContraChaveAdvice(text)}`, { cause });
}

function notOpenable(file: string, error: unknown): RndsError {
  return new RndsError(
    'STATE_UNREADABLE',
    `Não foi possível ler a configuração do pec-rnds em ${file}: o arquivo não pôde ser aberto (${errnoCode(error) ?? 'erro desconhecido'}). ` +
      'Confira se ele é um arquivo comum que pertence ao usuário do pec-rnds e tem permissão de leitura, e inicie de novo. ' +
      'Não apague nem mova o arquivo: ele guarda a contra-chave desta instalação, cadastrada no e-Gestor AB ' +
      '(se precisar recomeçar, restaure-o de um backup).',
    { cause: error },
  );
}

/**
 * The sealed password is the one part of the state that a flipped bit can make unparsable without touching anything
 * else (a quote, a backslash or a control character inside its base64). When the file is not JSON, the `secret`
 * object is cut out and kept as a string, so a damaged secret costs the password (SECRET_UNREADABLE), never the start.
 */
const SECRET_OBJECT = /("secret"\s*:\s*)(\{[\s\S]*?"data"\s*:\s*"[\s\S]*?"\s*\})/;

function parseJsonSalvagingSecret(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const match = SECRET_OBJECT.exec(text);
    if (!match) throw error;
    const salvaged = text.slice(0, match.index) + match[1] + JSON.stringify({ damaged: match[2] }) + text.slice(match.index + match[0].length);
    try {
      return JSON.parse(salvaged);
    } catch {
      throw error;
    }
  }
}

/** An `enabled.secret` that is not a sealed envelope becomes `{ damaged: <as read> }` instead of failing the load. */
function keepDamagedSecret(json: unknown): unknown {
  if (!json || typeof json !== 'object') return json;
  const enabled = (json as { enabled?: unknown }).enabled;
  if (!enabled || typeof enabled !== 'object' || Array.isArray(enabled)) return json;
  const secret = (enabled as { secret?: unknown }).secret;
  if (StoredSecretSchema.safeParse(secret).success) return json;
  return { ...json, enabled: { ...enabled, secret: { damaged: secret === undefined ? null : secret } } };
}

function describeIoError(error: unknown): string {
  switch (errnoCode(error)) {
    case 'ENOSPC':
      return 'o disco está cheio';
    case 'EDQUOT':
      return 'a cota de disco do usuário acabou';
    case 'EFBIG':
      return 'o arquivo passou do tamanho máximo permitido para este processo';
    case 'EACCES':
    case 'EPERM':
      return 'não há permissão de escrita';
    case 'EROFS':
      return 'o sistema de arquivos está somente leitura';
    case 'EIO':
      return 'houve um erro de entrada/saída no disco';
    default:
      return `erro ${errnoCode(error) ?? 'inesperado'}`;
  }
}

function writeFailed(file: string, error: unknown): RndsError {
  return new RndsError(
    'WRITE_FAILED',
    `Não foi possível gravar a configuração em ${file} (${describeIoError(error)}). A configuração anterior foi mantida. ` +
      'Libere espaço em disco ou corrija as permissões da pasta de dados e tente de novo.',
    { cause: error },
  );
}

function folderUnusable(dataDir: string, error: unknown): RndsError {
  return new RndsError(
    'WRITE_FAILED',
    `Não foi possível usar a pasta de dados ${dataDir} (${describeIoError(error)}). ` +
      'Verifique se o caminho está certo e se o usuário do pec-rnds pode criar e gravar arquivos nela, e inicie de novo.',
    { cause: error },
  );
}

/** Reads and validates a state file; null when it does not exist. */
async function loadStateFile(file: string): Promise<PersistedState | null> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return null;
    throw notOpenable(file, error);
  }
  let json: unknown;
  try {
    json = parseJsonSalvagingSecret(text);
  } catch (error) {
    throw unreadable(file, text.trim() === '' ? 'o arquivo está vazio' : 'o conteúdo não é um JSON válido', text, error);
  }
  const parsed = PersistedStateSchema.safeParse(keepDamagedSecret(json));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? ` (campo ${issue.path.join('.')})` : '';
    throw unreadable(file, `o conteúdo não tem o formato esperado${where}`, text, parsed.error);
  }
  return parsed.data;
}

/** The state file, the lock and the write queue of one data folder. */
export class StateStore {
  readonly dataDir: string;
  readonly file: string;
  #state: PersistedState;
  #lock: DataDirLock;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;
  readonly #seam: FsSeam;

  private constructor(dataDir: string, state: PersistedState, lock: DataDirLock, seam: FsSeam) {
    this.dataDir = dataDir;
    this.file = path.join(dataDir, FILE_NAMES.state);
    this.#state = deepFreeze(state);
    this.#lock = lock;
    this.#seam = seam;
  }

  /**
   * Opens the data folder for this process: creates it (0700) if missing, takes the lock
   * (ALREADY_RUNNING if another live process holds it), removes temp files a crash left, then loads
   * the state (STATE_UNREADABLE if corrupt — never replaced) or creates it with a new contra-chave.
   */
  static async open(options: StateStoreOptions): Promise<StateStore> {
    const dataDir = path.resolve(options.dataDir);
    const file = path.join(dataDir, FILE_NAMES.state);
    const wanted = options.contraChave === undefined ? undefined : normalizeContraChave(options.contraChave);
    if (wanted === null) {
      throw new RndsError(
        'INVALID_INPUT',
        `A contra-chave informada na configuração não tem o formato esperado: ${CONTRA_CHAVE_SHAPE}. ` +
          'Copie-a de novo de Gestão municipal › Certificados no PEC (ou da ativação da instalação) e inicie de novo.',
        { fields: { contraChave: `Use o formato ${CONTRA_CHAVE_SHAPE}.` } },
      );
    }
    const seam = options.fsSeam ?? REAL_FS;
    let lock: DataDirLock;
    try {
      await ensureDir(dataDir);
      lock = await acquireLock(dataDir, seam);
    } catch (error) {
      if (error instanceof RndsError) throw error;
      throw folderUnusable(dataDir, error);
    }
    try {
      await removeLeftoverTempFiles(dataDir, seam).catch((error: unknown) => {
        throw folderUnusable(dataDir, error);
      });
      let state = await loadStateFile(file);
      if (!state) {
        state = {
          version: 1,
          contraChave: wanted ?? generateContraChave(),
          contraChaveOrigin: wanted === undefined ? 'gerada' : 'instalacao',
          createdAt: (options.now?.() ?? new Date()).toISOString(),
          enabled: null,
          connection: null,
        };
        try {
          await writeFileAtomic(file, serialize(state), seam);
        } catch (error) {
          throw writeFailed(file, error);
        }
      }
      return new StateStore(dataDir, state, lock, seam);
    } catch (error) {
      await lock.release().catch(() => undefined);
      throw error;
    }
  }

  /**
   * Reads the state without taking the lock or cleaning anything (support CLI while the server
   * runs). Null when there is no state file; STATE_UNREADABLE when it is corrupt.
   */
  static async read(dataDir: string): Promise<PersistedState | null> {
    return loadStateFile(path.join(path.resolve(dataDir), FILE_NAMES.state));
  }

  /** The current state (frozen: change it through `update`). */
  get(): PersistedState {
    return this.#state;
  }

  /**
   * Applies `mutator` to a copy of the state and writes the result atomically; updates run one at a
   * time in call order. If the write fails (WRITE_FAILED) the state in memory and on disk stays the
   * old one. The contra-chave and the version cannot be changed.
   */
  update(mutator: StateMutator): Promise<PersistedState> {
    return this.#write(mutator, false);
  }

  /**
   * Like `update`, but the mutator may change the contra-chave and its origin: only the explicit, audited change of
   * the contra-chave (`Enablement.changeContraChave`) calls this.
   */
  updateContraChave(mutator: StateMutator): Promise<PersistedState> {
    return this.#write(mutator, true);
  }

  #write(mutator: StateMutator, mayChangeContraChave: boolean): Promise<PersistedState> {
    const run = async (): Promise<PersistedState> => {
      if (this.#closed) {
        throw new RndsError('INTERNAL', 'A configuração do pec-rnds já foi fechada; reinicie o serviço.');
      }
      const draft = structuredClone(this.#state) as PersistedState;
      const next = (await mutator(draft)) ?? draft;
      const parsed = PersistedStateSchema.safeParse(next);
      if (!parsed.success) {
        throw new RndsError('INTERNAL', 'Erro interno: a nova configuração é inválida e não foi gravada; a anterior foi mantida.', {
          cause: parsed.error,
        });
      }
      if (
        (!mayChangeContraChave &&
          (parsed.data.contraChave !== this.#state.contraChave || parsed.data.contraChaveOrigin !== this.#state.contraChaveOrigin)) ||
        parsed.data.createdAt !== this.#state.createdAt
      ) {
        throw new RndsError('INTERNAL', 'Erro interno: a contra-chave desta instalação não pode ser trocada; a configuração anterior foi mantida.');
      }
      try {
        await writeFileAtomic(this.file, serialize(parsed.data), this.#seam);
      } catch (error) {
        throw writeFailed(this.file, error);
      }
      this.#state = deepFreeze(parsed.data);
      return this.#state;
    };
    const result = this.#queue.then(run, run);
    this.#queue = result.catch(() => undefined);
    return result;
  }

  /** Waits for pending updates and releases the lock. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#queue;
    this.#closed = true;
    await this.#lock.release();
  }
}
