import fsp from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FILE_NAMES, loadOrCreateAccessToken } from '../../../module/state/index.js';
import { makeTempRoot, modeOf } from './support.js';

const posix = process.platform !== 'win32';

describe('access token', () => {
  let tmp: Awaited<ReturnType<typeof makeTempRoot>>;
  let tokenFile: string;
  beforeEach(async () => {
    tmp = await makeTempRoot();
    tokenFile = path.join(tmp.dataDir, FILE_NAMES.accessToken);
  });
  afterEach(async () => {
    await tmp.cleanup();
  });

  it('when the token is asked for the first time, then a 32-byte base64url token is created in a 0600 file inside a 0700 folder', async () => {
    const token = await loadOrCreateAccessToken(tmp.dataDir);

    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await fsp.readFile(tokenFile, 'utf8')).trim()).toBe(token);
    if (posix) {
      expect(modeOf(tokenFile)).toBe(0o600);
      expect(modeOf(tmp.dataDir)).toBe(0o700);
    }
  });

  it('when the token is asked again (later, or several times at once), then it is the same token', async () => {
    const first = await loadOrCreateAccessToken(tmp.dataDir);

    const again = await Promise.all(Array.from({ length: 5 }, () => loadOrCreateAccessToken(tmp.dataDir)));

    expect(new Set([first, ...again])).toEqual(new Set([first]));
    expect((await fsp.readdir(tmp.dataDir)).sort()).toEqual([FILE_NAMES.accessToken]);
  });

  it('when two folders are used, then they get different tokens', async () => {
    const a = await loadOrCreateAccessToken(tmp.dataDir);
    const b = await loadOrCreateAccessToken(path.join(tmp.root, 'outra'));

    expect(a).not.toBe(b);
  });

  it.skipIf(!posix)('when the token file is readable by others, then the same token is kept and the file is tightened to 0600', async () => {
    const token = await loadOrCreateAccessToken(tmp.dataDir);
    await fsp.chmod(tokenFile, 0o644);

    const again = await loadOrCreateAccessToken(tmp.dataDir);

    expect(again).toBe(token);
    expect(modeOf(tokenFile)).toBe(0o600);
  });

  it('when the token file is empty, then a clear error names the file and it is not overwritten', async () => {
    await fsp.mkdir(tmp.dataDir, { recursive: true });
    await fsp.writeFile(tokenFile, '');

    await expect(loadOrCreateAccessToken(tmp.dataDir)).rejects.toMatchObject({ code: 'STATE_UNREADABLE', message: expect.stringContaining(tokenFile) });
    expect(await fsp.readFile(tokenFile, 'utf8')).toBe('');
  });
});
