import fsp from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { RndsError } from '../errors.js';
import { FILE_MODE, FILE_NAMES, createFileOnce, ensureDir, errnoCode, isLooserThanOwnerOnly } from './files.js';

const TOKEN_PATTERN = /^[\x21-\x7e]{16,}$/;

/**
 * The standalone access token: 32 random bytes (base64url) generated once and kept in
 * `<dataDir>/access-token` (0600); later calls return the same token.
 */
export async function loadOrCreateAccessToken(dataDir: string): Promise<string> {
  const dir = path.resolve(dataDir);
  const file = path.join(dir, FILE_NAMES.accessToken);
  await ensureDir(dir);
  await createFileOnce(file, `${randomBytes(32).toString('base64url')}\n`);
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (error) {
    throw new RndsError(
      'STATE_UNREADABLE',
      `Não foi possível ler o token de acesso em ${file} (${errnoCode(error) ?? 'erro desconhecido'}). ` +
        'Corrija as permissões do arquivo, ou apague-o para que um novo token seja gerado.',
      { cause: error },
    );
  }
  const token = text.trim();
  if (!TOKEN_PATTERN.test(token)) {
    throw new RndsError(
      'STATE_UNREADABLE',
      `O token de acesso em ${file} é inválido (vazio, curto demais ou com espaços). Apague o arquivo para que um novo token seja gerado.`,
    );
  }
  // A token file others can read (restored from a backup, copied by hand) is tightened, not
  // replaced: replacing it would silently break the admin's saved login link.
  const stat = await fsp.stat(file);
  if (isLooserThanOwnerOnly(stat.mode)) await fsp.chmod(file, FILE_MODE);
  return token;
}
