/**
 * Child for the crash smoke test (run compiled, from dist/): enables/disables in a tight loop until
 * it is killed, printing `wrote <k> <n>` once its k-th update (state version n) is on disk.
 */
import { SecretBox, StateStore } from '../../../../module/state/index.js';
import { counterOf, passwordFor, versionFor } from './versions.js';

const dataDir = process.argv[2]!;
process.stdout.write('start\n');
const store = await StateStore.open({ dataDir });
const box = await SecretBox.open(dataDir);
let n = counterOf(store.get());
process.stdout.write('ready\n');
for (let k = 1; ; k += 1) {
  n += 1;
  const secret = n % 2 === 1 ? box.seal(passwordFor(n)) : undefined;
  const counter = n;
  await store.update((state) => versionFor(state, counter, secret));
  process.stdout.write(`wrote ${k} ${n}\n`);
}
