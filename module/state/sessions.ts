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
 * The sessions ended at *Sair*, each kept until no cookie of it could still be live (the revocation time plus the idle
 * limit), then forgotten. Only logged-in sessions can log out, so the list grows only with real logouts.
 */
export class SessionRevocations {
  readonly #file: string;
  readonly #revoked: Map<string, number>;
  #writing: Promise<void> = Promise.resolve();

  private constructor(file: string, revoked: Map<string, number>) {
    this.#file = file;
    this.#revoked = revoked;
  }

  /** Reads the list; a missing or damaged file is an empty list (at worst a logged-out cookie lives until it idles out). */
  static async open(dataDir: string): Promise<SessionRevocations> {
    const file = path.join(path.resolve(dataDir), FILE_NAMES.sessionsRevoked);
    let revoked = new Map<string, number>();
    try {
      const parsed = RevokedSchema.safeParse(JSON.parse(await fsp.readFile(file, 'utf8')));
      if (parsed.success) revoked = new Map(Object.entries(parsed.data.revoked));
    } catch {
      // missing or not JSON: nothing revoked
    }
    return new SessionRevocations(file, revoked);
  }

  has(id: string, now: number): boolean {
    const until = this.#revoked.get(digest(id));
    return until !== undefined && until > now;
  }

  /** Revokes `id` until `until` (ms) and resolves once that is on disk. */
  revoke(id: string, until: number, now: number): Promise<void> {
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
