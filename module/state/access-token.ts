import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { FILE_NAMES, loadOrCreateSecretLine } from './files.js';

const TOKEN_PATTERN = /^[\x21-\x7e]{16,}$/;

/**
 * The standalone access token: 32 random bytes (base64url) generated once and kept in
 * `<dataDir>/access-token` (0600); later calls return the same token. A token file others can read (restored from a
 * backup, copied by hand) is tightened, not replaced: replacing it would silently break the admin's saved login link.
 */
export async function loadOrCreateAccessToken(dataDir: string): Promise<string> {
  const file = path.join(path.resolve(dataDir), FILE_NAMES.accessToken);
  return loadOrCreateSecretLine(file, () => randomBytes(32).toString('base64url'), TOKEN_PATTERN, {
    unreadable: (code) =>
      `Não foi possível ler o token de acesso em ${file} (${code}). Corrija as permissões do arquivo, ou apague-o para que um novo token seja gerado.`,
    invalid: `O token de acesso em ${file} é inválido (vazio, curto demais ou com espaços). Apague o arquivo para que um novo token seja gerado.`,
  });
}
