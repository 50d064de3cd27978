/**
 * `node --import dist/test/support/child/provoke-failure.js dist/scripts/serve.js`: on SIGUSR2 the server process
 * gets a real unhandled promise rejection (PROVOKE=rejection) or a real uncaught exception (PROVOKE=exception) from
 * inside its event loop. Loaded only by tests, on the command line: nothing in the shipped server can trigger it.
 */
const kind = process.env.PROVOKE;
if (kind === 'rejection' || kind === 'exception') {
  process.on('SIGUSR2', () => {
    setImmediate(() => {
      const error = new Error(`falha provocada pelo teste (${kind})`);
      if (kind === 'rejection') void Promise.reject(error);
      else throw error;
    });
  });
}
