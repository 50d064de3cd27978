/**
 * The server of the error-report benchmark (scripts/bench/31-sends-report.ts): the real module mounted in Express on
 * 127.0.0.1 and a free port, over the data folder it is given (BENCH_DATA_DIR, a prefilled sends.sqlite), plus the
 * baseline route `GET /bench/bytes?n=N`, which writes N bytes of ready-made CSV lines with the same backpressure and no
 * formatting or reading. Run with --expose-gc: it samples its own memory every 5 ms and answers the parent over IPC
 * (`{ cmd: 'mark' }` collects garbage and starts a new peak, `{ cmd: 'peak' }` answers the peak since the mark).
 */
import http from 'node:http';
import express from 'express';
import { createRndsModule } from '../../../module/index.js';

const token = process.env.BENCH_TOKEN!;
const rnds = await createRndsModule({
  chavesDir: process.env.BENCH_CHAVES_DIR!,
  dataDir: process.env.BENCH_DATA_DIR!,
  accessToken: token,
  connectionCheckMinutes: 0,
  connectionTestAfterEnable: false,
  logger: { info: () => {}, warn: () => {}, error: (m) => console.error(m) },
});

const LINE = Buffer.from('01/11/2026 10:00;RIA-R;vacina-000000000001;DADOS_INVALIDOS;(EHR-ERR983) Paciente não encontrado: Patient/01100126660;Confira o CNS do cidadão no CADSUS e envie de novo.;Cadastro do cidadão (CADSUS)\r\n');
const CHUNK = Buffer.concat(Array.from({ length: Math.ceil(65_536 / LINE.length) }, () => LINE));

const app = express();
app.get('/bench/bytes', async (req, res) => {
  let left = Number(req.query.n);
  res.setHeader('content-type', 'text/csv; charset=utf-8');
  while (left > 0) {
    const part = left >= CHUNK.length ? CHUNK : CHUNK.subarray(0, left);
    left -= part.length;
    if (!res.write(part)) await new Promise((resolve) => res.once('drain', resolve));
  }
  res.end();
});
app.use('/rnds', (req, res, next) => rnds.router(req, res, next));

interface Sample {
  rss: number;
  heapUsed: number;
  external: number;
}
const sample = (): Sample => {
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external };
};
let mark = sample();
let peak = mark;
setInterval(() => {
  const now = sample();
  peak = { rss: Math.max(peak.rss, now.rss), heapUsed: Math.max(peak.heapUsed, now.heapUsed), external: Math.max(peak.external, now.external) };
}, 5).unref();

process.on('message', (message: { cmd: string }) => {
  if (message.cmd === 'mark') {
    global.gc?.();
    mark = sample();
    peak = mark;
    process.send!({ mark });
  } else if (message.cmd === 'peak') {
    const now = sample();
    process.send!({ mark, peak: { rss: Math.max(peak.rss, now.rss), heapUsed: Math.max(peak.heapUsed, now.heapUsed), external: Math.max(peak.external, now.external) } });
  }
});

const server = http.createServer(app).listen(0, '127.0.0.1', () => {
  const address = server.address();
  console.log(`http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/`);
});
process.on('SIGTERM', () => {
  server.close();
  void rnds.close().then(() => process.exit(0));
});
