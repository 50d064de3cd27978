/**
 * Reading a certificate password without it ever reaching the command line (shell history, `ps`): a hidden prompt
 * on a terminal, or the whole of stdin when it is a pipe or a file (`inspect arquivo.pfx < senha.txt`).
 */
import type { Readable, Writable } from 'node:stream';

/** Longest password accepted from stdin; the module itself refuses longer ones. */
const MAX_STDIN_BYTES = 4096;

export interface PasswordSource {
  input: Readable & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
  /** Where the prompt is written (stderr, so stdout stays data). */
  output: Writable;
}

/** Reads the password: hidden prompt on a TTY, otherwise stdin up to its end (one trailing newline removed). */
export async function readPassword(prompt: string, source: PasswordSource = { input: process.stdin, output: process.stderr }): Promise<string> {
  if (source.input.isTTY && typeof source.input.setRawMode === 'function') return readHidden(prompt, source);
  return readAll(source.input);
}

async function readAll(input: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of input) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk), 'utf8');
    size += buffer.length;
    if (size > MAX_STDIN_BYTES) throw new Error(`A senha recebida pela entrada padrão passa de ${MAX_STDIN_BYTES} bytes: envie só a senha.`);
    chunks.push(buffer);
  }
  // `echo senha |` and files saved by editors end in a newline (CRLF on Windows) that is not part of the password.
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

function readHidden(prompt: string, { input, output }: PasswordSource): Promise<string> {
  return new Promise((resolve, reject) => {
    const tty = input as Readable & { setRawMode: (mode: boolean) => unknown };
    let password = '';
    output.write(prompt);
    tty.setRawMode(true);
    tty.setEncoding('utf8');
    tty.resume();
    const finish = (error?: Error) => {
      tty.off('data', onData);
      tty.setRawMode(false);
      tty.pause();
      output.write('\n');
      if (error) reject(error);
      else resolve(password);
    };
    const onData = (chunk: string) => {
      // A paste arrives as one chunk: handle it character by character.
      for (const char of chunk) {
        if (char === '\r' || char === '\n' || char === '\u0004') return finish();
        if (char === '\u0003') return finish(Object.assign(new Error('Cancelado.'), { code: 'ABORTED' }));
        if (char === '\u007f' || char === '\b') {
          password = Array.from(password).slice(0, -1).join('');
          continue;
        }
        if (char === '\u001b') break; // an arrow key or other escape sequence arrives as one chunk: drop it
        password += char;
      }
    };
    tty.on('data', onData);
  });
}
