/** Opening each fixture: our engine (in-process openPkcs12) against Node's native pfx loader. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { createCertificateOpener, openPkcs12 } from '../../module/certificates/index.js';
import { type BenchSection, median, medianMs, medianMsAsync, ms, printTable, projectRoot } from './lib.js';

interface FixtureEntry {
  file: string;
  password: string;
  error: string | null;
}

export const section: BenchSection = {
  title: 'Abertura de PKCS#12: motor (openPkcs12, mesmo processo) x carregador nativo do Node (tls.createSecureContext)',
  async run() {
    const dir = path.join(projectRoot(), 'test/fixtures/pkcs12');
    const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as {
      standard: { aes: string; legacy: string };
      fixtures: FixtureEntry[];
    };
    const rows = [['arquivo', 'motor', 'nativo', 'razão']];
    const ratios: number[] = [];
    for (const entry of manifest.fixtures.filter((candidate) => candidate.error === null)) {
      const bytes = readFileSync(path.join(dir, entry.file));
      const ours = medianMs(() => openPkcs12(bytes, entry.password));
      const native = medianMs(() => tls.createSecureContext({ pfx: bytes, passphrase: entry.password }));
      const ratio = ours !== null && native !== null ? ours / native : null;
      if (ratio !== null) ratios.push(ratio);
      rows.push([entry.file, ms(ours), ms(native), ratio === null ? 'n/a' : `${ratio.toFixed(2)}x`]);
    }
    printTable(rows);
    console.log(`razão mediana (onde o nativo abre): ${median(ratios).toFixed(2)}x`);

    // What the worker thread adds (postMessage, structured clone) on the standard AES file.
    const aes = manifest.fixtures.find((entry) => entry.file === manifest.standard.aes)!;
    const aesBytes = readFileSync(path.join(dir, aes.file));
    const opener = createCertificateOpener();
    try {
      const viaWorker = await medianMsAsync(() => opener.open(aesBytes, aes.password));
      const inProcess = medianMs(() => openPkcs12(aesBytes, aes.password));
      console.log(`${aes.file} pelo worker (createCertificateOpener): ${ms(viaWorker)} (no mesmo processo: ${ms(inProcess)})`);
    } finally {
      await opener.close();
    }
  },
};
