/** Child for the write-failure test: tries one update that makes the state `size` bytes bigger. */
import { StateStore } from '../../../../module/state/index.js';

// Belt and braces: Node already ignores SIGXFSZ, so an over-limit write fails with EFBIG.
process.on('SIGXFSZ', () => undefined);
const [dataDir, size] = [process.argv[2]!, Number(process.argv[3])];
const store = await StateStore.open({ dataDir });
try {
  await store.update((state) => ({
    ...state,
    connection: { status: 'no-connection', message: 'Sem conexão', detail: 'x'.repeat(size), checkedAt: new Date().toISOString(), environment: 'producao' },
  }));
  process.stdout.write(JSON.stringify({ ok: true }));
} catch (error) {
  const e = error as { code?: string; message?: string; cause?: { code?: string } };
  process.stdout.write(JSON.stringify({ ok: false, code: e.code, message: e.message, cause: e.cause?.code }));
} finally {
  await store.close();
}
