/**
 * Keeps the certificate password (needed again for mutual TLS after a restart) without ever
 * storing it in plaintext: AES-256-GCM with a random key in `<dataDir>/secret.key` (0600), a
 * random 12-byte IV per seal, and AAD that binds the envelope to its purpose.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { RndsError } from '../errors.js';
import { FILE_NAMES, createFileOnceSync, ensureDir, errnoCode, isLooserThanOwnerOnly } from './files.js';
import { SecretEnvelopeSchema, type SecretEnvelope } from './schema.js';
import { REAL_FS, type FsSeam } from './fs-seam.js';

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Binds an envelope to what it holds: one sealed for another purpose will not open here. */
const CERTIFICATE_PASSWORD_AAD = 'pec-rnds:certificate-password:v1';

type KeyState =
  | { kind: 'present'; key: Buffer }
  | { kind: 'missing' }
  | { kind: 'refused'; error: RndsError };

function retypeMessage(reason: string): string {
  return `Não foi possível recuperar a senha do certificado habilitado: ${reason}. Para o pec-rnds voltar a usá-lo, ` +
    'reinforme a senha do certificado (habilite-o de novo).';
}

/** Reads the key file; never creates it. */
function loadKey(keyPath: string): KeyState {
  let fd: number;
  try {
    fd = fs.openSync(keyPath, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0));
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return { kind: 'missing' };
    return {
      kind: 'refused',
      error: new RndsError(
        'SECRET_UNREADABLE',
        `O arquivo de chave ${keyPath} não pôde ser aberto (${errnoCode(error) ?? 'erro desconhecido'}). ` +
          'Ele deve ser um arquivo comum do usuário do pec-rnds: corrija-o (o pec-rnds volta a usá-lo sem reiniciar), ' +
          'ou então mova-o para outro lugar e reinforme a senha do certificado (habilite-o de novo).',
        { cause: error },
      ),
    };
  }
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) {
      return { kind: 'refused', error: new RndsError('SECRET_UNREADABLE', `O arquivo de chave ${keyPath} não é um arquivo comum: mova-o para outro lugar e reinforme a senha do certificado (habilite-o de novo).`) };
    }
    if (isLooserThanOwnerOnly(stat.mode)) {
      const mode = (stat.mode & 0o777).toString(8).padStart(4, '0');
      return {
        kind: 'refused',
        error: new RndsError(
          'SECRET_UNREADABLE',
          `O arquivo de chave ${keyPath} pode ser lido por outros usuários (permissões ${mode}) e por isso não é usado. ` +
            `Restrinja as permissões com chmod 600 ${keyPath} (o pec-rnds volta a usá-lo sem reiniciar) e tente de novo; ` +
            'se a chave pode ter vazado, mova-a para outro lugar e reinforme a senha do certificado (habilite-o de novo).',
        ),
      };
    }
    const key = Buffer.alloc(KEY_BYTES + 1);
    const read = fs.readSync(fd, key, 0, key.length, 0);
    if (read !== KEY_BYTES) {
      key.fill(0);
      return {
        kind: 'refused',
        error: new RndsError('SECRET_UNREADABLE', retypeMessage(`o arquivo de chave ${keyPath} está corrompido; mova-o para outro lugar`)),
      };
    }
    return { kind: 'present', key: key.subarray(0, KEY_BYTES) };
  } finally {
    fs.closeSync(fd);
  }
}

/** What identifies the key file's current content as far as lstat can tell; a new value means "read it again". */
function keySignature(keyPath: string): string {
  try {
    const st = fs.lstatSync(keyPath);
    return `${st.dev}:${st.ino}:${st.mode}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
  } catch (error) {
    return `error:${errnoCode(error) ?? 'unknown'}`;
  }
}

/**
 * Encrypts and decrypts the certificate password with the data folder's key. The key file is looked at again
 * (lstat) on every use and re-read when it changed: deleted while running, it is recreated by the next seal instead
 * of sealing with a key that no longer exists anywhere; refused (mode 0644) and then fixed, it is used again without a
 * restart.
 */
export class SecretBox {
  readonly keyPath: string;
  #key: { signature: string; state: KeyState };
  /** Last answer of `check` per envelope object (the state store hands out frozen objects). */
  #checked = new WeakMap<object, { signature: string; problem: RndsError | null }>();

  readonly #seam: FsSeam;

  private constructor(keyPath: string, seam: FsSeam) {
    this.keyPath = keyPath;
    this.#seam = seam;
    this.#key = { signature: '', state: { kind: 'missing' } };
    this.#current();
  }

  /**
   * Loads `<dataDir>/secret.key` if present. A missing key is not an error here (nothing sealed
   * yet); a key with loose permissions or a wrong size is refused when it is used.
   */
  static async open(dataDir: string, options: { fsSeam?: FsSeam } = {}): Promise<SecretBox> {
    const dir = path.resolve(dataDir);
    await ensureDir(dir);
    return new SecretBox(path.join(dir, FILE_NAMES.key), options.fsSeam ?? REAL_FS);
  }

  #current(): KeyState {
    const signature = keySignature(this.keyPath);
    if (signature !== this.#key.signature) {
      const previous = this.#key.state;
      this.#key = { signature, state: loadKey(this.keyPath) };
      if (previous.kind === 'present') previous.key.fill(0);
    }
    return this.#key.state;
  }

  /** Why the stored password cannot be recovered right now, or null when the key is usable. */
  problem(): RndsError | null {
    const key = this.#current();
    if (key.kind === 'present') return null;
    if (key.kind === 'refused') return key.error;
    return new RndsError('SECRET_UNREADABLE', retypeMessage(`o arquivo de chave ${this.keyPath} não existe`));
  }

  /**
   * Why `envelope` cannot be opened now (SECRET_UNREADABLE, with the key's own message when the key is the cause),
   * or null when it opens. Cheap to call on every Status: the answer is kept until the key file or the envelope changes.
   */
  check(envelope: unknown): RndsError | null {
    const signature = keySignature(this.keyPath);
    const cacheable = typeof envelope === 'object' && envelope !== null;
    const cached = cacheable ? this.#checked.get(envelope) : undefined;
    if (cached && cached.signature === signature) return cached.problem;
    let problem: RndsError | null = null;
    try {
      this.unseal(envelope);
    } catch (error) {
      problem = error instanceof RndsError ? error : new RndsError('SECRET_UNREADABLE', retypeMessage('erro inesperado ao decifrá-la'));
    }
    if (cacheable) this.#checked.set(envelope, { signature, problem });
    return problem;
  }

  /**
   * Encrypts `plaintext`. Creates the key file (0600) when there is none — also when it was deleted while the module
   * ran; an existing but refused key file is never replaced: SECRET_KEY_UNUSABLE (409) with what to fix.
   */
  seal(plaintext: string): SecretEnvelope {
    const key = this.#keyForSealing();
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(CERTIFICATE_PASSWORD_AAD, 'utf8'));
    const input = Buffer.from(plaintext, 'utf8');
    try {
      const data = Buffer.concat([cipher.update(input), cipher.final()]);
      return { v: 1, alg: 'A256GCM', iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') };
    } finally {
      input.fill(0);
    }
  }

  /**
   * Decrypts an envelope made by `seal`. Throws SECRET_UNREADABLE ("… reinforme a senha …") when
   * the key is missing or refused, or the envelope was damaged, altered or sealed with another key.
   */
  unseal(envelope: unknown): string {
    const problem = this.problem();
    if (problem) throw problem;
    const key = (this.#key.state as { kind: 'present'; key: Buffer }).key;
    const parsed = SecretEnvelopeSchema.safeParse(envelope);
    const iv = parsed.success ? Buffer.from(parsed.data.iv, 'base64') : null;
    const tag = parsed.success ? Buffer.from(parsed.data.tag, 'base64') : null;
    if (!parsed.success || iv?.length !== IV_BYTES || tag?.length !== TAG_BYTES) {
      throw new RndsError('SECRET_UNREADABLE', retypeMessage('a senha guardada no arquivo de configuração está danificada ou num formato desconhecido'));
    }
    let output: Buffer | undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(CERTIFICATE_PASSWORD_AAD, 'utf8'));
      decipher.setAuthTag(tag);
      output = Buffer.concat([decipher.update(Buffer.from(parsed.data.data, 'base64')), decipher.final()]);
      return output.toString('utf8');
    } catch {
      // No cause attached: crypto errors say nothing useful and nothing secret should travel.
      throw new RndsError(
        'SECRET_UNREADABLE',
        retypeMessage('a senha guardada foi alterada ou foi cifrada com outra chave (o arquivo secret.key foi trocado?)'),
      );
    } finally {
      output?.fill(0);
    }
  }

  #keyForSealing(): Buffer {
    let key = this.#current();
    if (key.kind === 'present') return key.key;
    if (key.kind === 'refused') throw new RndsError('SECRET_KEY_UNUSABLE', key.error.message);
    const fresh = randomBytes(KEY_BYTES);
    try {
      createFileOnceSync(this.keyPath, fresh, this.#seam);
    } catch (error) {
      throw new RndsError(
        'WRITE_FAILED',
        `Não foi possível criar o arquivo de chave ${this.keyPath} (${errnoCode(error) ?? 'erro desconhecido'}). ` +
          'Verifique o espaço livre em disco e as permissões da pasta de dados e tente de novo.',
        { cause: error },
      );
    } finally {
      fresh.fill(0);
    }
    // Read back instead of trusting `fresh`: if another process created the key first, theirs wins.
    key = this.#current();
    if (key.kind === 'present') return key.key;
    throw new RndsError('SECRET_KEY_UNUSABLE', (key.kind === 'refused' ? key.error : this.problem()!).message);
  }
}
