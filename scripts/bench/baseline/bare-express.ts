/**
 * The baseline of the server figures (scripts/bench/20-lean.ts): a bare Express app that answers `/health` and
 * serves `/api/status` with the JSON it is given (BENCH_STATUS_JSON, the body pec-rnds answered in the same run), on
 * 127.0.0.1 and a free port. It prints its address once it listens, like `npm start` does.
 */
import express from 'express';

const body = JSON.parse(process.env.BENCH_STATUS_JSON ?? '{}') as unknown;
const app = express();
app.get('/health', (_req, res) => {
  res.json({ status: 'ok' });
});
app.get('/api/status', (_req, res) => {
  res.json(body);
});
const server = app.listen(0, '127.0.0.1', () => {
  const address = server.address();
  console.log(`http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/`);
});
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => server.close(() => process.exit(0)));
