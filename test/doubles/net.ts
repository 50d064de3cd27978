/** Small network situations for tests: a port nobody listens on, a server that never speaks. */
import net from 'node:net';

/** A loopback port that was just free: connecting to it is refused. */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface SilentServer {
  url: string;
  /** TCP connections accepted. */
  readonly connections: number;
  close(): Promise<void>;
}

/**
 * Accepts TCP connections and then says nothing (a black-holing proxy or a hung server), or, with
 * `reply`, answers any bytes with that plain text (something that is not TLS).
 */
export async function startSilentServer(options: { reply?: string } = {}): Promise<SilentServer> {
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const server = net.createServer((socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    if (options.reply !== undefined) {
      const reply = options.reply;
      socket.once('data', () => socket.end(reply));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    get connections() {
      return connections;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}
