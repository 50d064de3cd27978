import net from 'node:net';
/**
 * How long a wait may see nothing happen before the thing waited on is declared hung. A hang detector that turns a
 * stuck child, browser or watcher into a readable failure — never a speed check: correct code on a machine ten
 * times slower than a loaded 2-core box stays far below it.
 */
export const HANG_MS = 120_000;

/** Resolves once something accepts TCP connections on 127.0.0.1:`port` (nginx started); the deadline is a hang detector. */
export async function waitForListening(port: number): Promise<void> {
  const deadline = Date.now() + HANG_MS;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
