/** Child that keeps the data folder open until its stdin closes. */
import { StateStore } from '../../../../module/state/index.js';

const store = await StateStore.open({ dataDir: process.argv[2]! });
process.stdout.write(`ready ${store.get().contraChave}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  void store.close().then(() => process.exit(0));
});
