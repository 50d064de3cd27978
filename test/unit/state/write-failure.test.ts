/** A write that really fails (file-size limit → EFBIG): the old state survives byte for byte. */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FILE_NAMES, StateStore } from '../../../module/state/index.js';
import { makeTempRoot, runToEnd, spawnHelper } from './support.js';

const canUlimit = process.platform !== 'win32' && fs.existsSync('/bin/bash');

describe.skipIf(!canUlimit)('a write over the file-size limit', () => {
  let tmp: Awaited<ReturnType<typeof makeTempRoot>>;
  beforeEach(async () => {
    tmp = await makeTempRoot();
  });
  afterEach(async () => {
    await tmp.cleanup();
  });

  it('when the state grows past `ulimit -f`, then update reports WRITE_FAILED and the old state file is byte-identical', async () => {
    const store = await StateStore.open({ dataDir: tmp.dataDir });
    await store.close();
    const stateFile = path.join(tmp.dataDir, FILE_NAMES.state);
    const before = await fsp.readFile(stateFile);
    expect(before.length).toBeLessThan(512);

    // SIGXFSZ ignored in the shell is inherited by node, so the write returns EFBIG instead of killing it.
    const child = spawnHelper('grow-state.ts', [tmp.dataDir, '8000'], { shell: 'trap "" XFSZ; ulimit -f 1; exec "$0" "$@"' });
    const result = await runToEnd(child);

    expect(result.code, result.stderr).toBe(0);
    const outcome = JSON.parse(result.stdout) as { ok: boolean; code?: string; message?: string; cause?: string };
    expect(outcome).toMatchObject({ ok: false, code: 'WRITE_FAILED', cause: 'EFBIG' });
    expect(outcome.message).toContain(stateFile);
    expect(outcome.message).toMatch(/configuração anterior foi mantida/);
    expect(await fsp.readFile(stateFile)).toEqual(before);
    expect((await fsp.readdir(tmp.dataDir)).sort()).toEqual([FILE_NAMES.state]);
    const reopened = await StateStore.open({ dataDir: tmp.dataDir });
    expect(reopened.get().connection).toBeNull();
    await reopened.close();
  });

  it('when the same update runs without the limit, then it is written (the failure above came from the limit)', async () => {
    const store = await StateStore.open({ dataDir: tmp.dataDir });
    await store.close();

    const result = await runToEnd(spawnHelper('grow-state.ts', [tmp.dataDir, '8000']));

    expect(JSON.parse(result.stdout)).toEqual({ ok: true });
    expect((await StateStore.read(tmp.dataDir))?.connection?.detail).toHaveLength(8000);
  });
});
