/**
 * What lets login sessions outlive a restart: the key that signs the session cookies (`session.key`, 0600, created
 * when missing) and the list of sessions ended at *Sair* (`sessions-revoked.json`), so a revoked cookie stays refused
 * after a restart. Nothing about a live session is stored: its cookie carries it, signed.
 */
import crypto from 'node:crypto';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { FILE_NAMES, loadOrCreateSecretLine, writeFileAtomic } from './files.js';

const KEY_PATTERN = /^[\w-]{43}$/;

/**
 * The session signing key: 32 random bytes (base64url) created once in `<dataDir>/session.key` (0600). A key file
 * others can read is tightened (like the access token); a damaged one stops the start with what to do — deleting it
 * only logs everybody out.
 */
export async function loadOrCreateSessionKey(dataDir: string): Promise<Buffer> {
  const file = path.join(path.resolve(dataDir), FILE_NAMES.sessionKey);
  const key = await loadOrCreateSecretLine(file, () => crypto.randomBytes(32).toString('base64url'), KEY_PATTERN, {
    unreadable: (code) =>
      `Não foi possível ler a chave das sessões em ${file} (${code}). Corrija as permissões do arquivo, ou apague-o: uma nova chave é criada e quem estava na tela entra de novo.`,
    invalid: `A chave das sessões em ${file} está danificada. Apague o arquivo: uma nova chave é criada e quem estava na tela entra de novo.`,
  });
  return Buffer.from(key, 'base64url');
}

const RevokedSchema = z.object({ revoked: z.record(z.string().regex(/^[0-9a-f]{64}$/), z.number().int().nonnegative()) });

/** A session id as kept on disk: its hash, never the id itself. */
const digest = (id: string) => crypto.createHash('sha256').update(id).digest('hex');

/**
 * The sessions ended at *Sair*, each kept until no cookie of it could still be live (the idle limit or the absolute
 * lifetime, whichever ends first), then forgotten. Only logged-in sessions can log out, so the list grows only with real logouts.
 */
export class SessionRevocations {
  readonly #file: string;
  readonly #revoked: Map<string, number>;
  /** The list on disk could not be read: every session is refused until it is fixed (a logged-out cookie never returns). */
  readonly #damaged: boolean;
  #writing: Promise<void> = Promise.resolve();

  private constructor(file: string, revoked: Map<string, number>, damaged: boolean) {
    this.#file = file;
    this.#revoked = revoked;
    this.#damaged = damaged;
  }

  /**
   * Reads the list; a missing file is an empty list. A damaged or unreadable one refuses every session (fail closed,
   * with `warn` saying what to do): treating it as empty would let logged-out cookies back in.
   */
  static async open(dataDir: string, warn: (message: string) => void = () => undefined): Promise<SessionRevocations> {
    const file = path.join(path.resolve(dataDir), FILE_NAMES.sessionsRevoked);
    let text: string;
    try {
      text = await fsp.readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new SessionRevocations(file, new Map(), false);
      warn(
        `Não foi possível ler a lista de sessões encerradas em ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)}): por segurança, nenhuma sessão é aceita (o token no cabeçalho Authorization continua valendo). Corrija as permissões do arquivo, ou apague-o e reinicie o serviço; depois entre de novo.`,
      );
      return new SessionRevocations(file, new Map(), true);
    }
    let parsed: ReturnType<typeof RevokedSchema.safeParse> | undefined;
    try {
      parsed = RevokedSchema.safeParse(JSON.parse(text));
    } catch {
      parsed = undefined;
    }
    if (!parsed?.success) {
      warn(
        `A lista de sessões encerradas em ${file} está danificada: por segurança, nenhuma sessão é aceita (o token no cabeçalho Authorization continua valendo). Apague o arquivo e reinicie o serviço; depois entre de novo com o token de acesso.`,
      );
      return new SessionRevocations(file, new Map(), true);
    }
    return new SessionRevocations(file, new Map(Object.entries(parsed.data.revoked)), false);
  }

  has(id: string, now: number): boolean {
    if (this.#damaged) return true;
    const until = this.#revoked.get(digest(id));
    return until !== undefined && until > now;
  }

  /** Revokes `id` until `until` (ms) and resolves once that is on disk. */
  revoke(id: string, until: number, now: number): Promise<void> {
    // A damaged list is left as it is for the admin to see: nothing could be added to it safely, and all is refused.
    if (this.#damaged) return Promise.resolve();
    this.#revoked.set(digest(id), until);
    for (const [key, end] of this.#revoked) if (end <= now) this.#revoked.delete(key);
    const text = `${JSON.stringify({ revoked: Object.fromEntries(this.#revoked) })}\n`;
    this.#writing = this.#writing.catch(() => undefined).then(() => writeFileAtomic(this.#file, text));
    return this.#writing;
  }

  get size(): number {
    return this.#revoked.size;
  }
}
