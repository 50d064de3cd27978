/**
 * Worker-thread entry: opens certificates off the event loop. The password arrives only through
 * postMessage; errors go back as { code, message } (never with the password).
 */
import { parentPort } from 'node:worker_threads';
import { isRndsError } from '../errors.js';
import { type OpenPkcs12Options, openPkcs12 } from './open.js';

export interface OpenJob {
  id: number;
  bytes: Uint8Array;
  password: string;
  options: OpenPkcs12Options;
}

if (parentPort) {
  const port = parentPort;
  port.on('message', (job: OpenJob) => {
    try {
      port.postMessage({ id: job.id, ok: true, result: openPkcs12(job.bytes, job.password, job.options) });
    } catch (error) {
      port.postMessage(
        isRndsError(error)
          ? { id: job.id, ok: false, code: error.code, message: error.message, fields: error.fields }
          : { id: job.id, ok: false, code: 'INTERNAL', message: 'Erro inesperado ao abrir o certificado. Tente novamente.' },
      );
    }
  });
  // Loading (and, under vitest, compiling) takes a while: the time limit starts after this.
  port.postMessage({ ready: true });
}
