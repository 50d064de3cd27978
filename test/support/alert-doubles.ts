/**
 * The alert channels' real test doubles: an SMTP server (smtp-server, on 127.0.0.1, demanding the test login) that
 * keeps every message it accepts, decoded, and an HTTP server receiving the webhook.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export const SMTP_USER = 'alertas@prefeitura.test';
export const SMTP_PASSWORD = 'smtp-Segredo-9f3k';

export interface Mail {
  from: string;
  to: string[];
  subject: string;
  text: string;
  raw: string;
}

export interface Smtp {
  url: string;
  mails: Mail[];
  /** Logins tried, accepted or not. */
  readonly logins: number;
  close(): Promise<void>;
}

/**
 * A real SMTP server that demands the test login (no TLS on loopback) and keeps every message it accepts.
 * `options.refuseLogin` is read at each login: a test may change it on the way.
 */
export async function startSmtp(options: { refuseLogin?: boolean } = {}): Promise<Smtp> {
  const mails: Mail[] = [];
  let logins = 0;
  const server = new SMTPServer({
    authOptional: false,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onAuth(auth, _session, callback) {
      logins += 1;
      if (!options.refuseLogin && auth.username === SMTP_USER && auth.password === SMTP_PASSWORD) return callback(null, { user: auth.username });
      callback(new Error('Invalid username or password'));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const [head = '', ...body] = raw.split(/\r\n\r\n/);
        const header = (name: string) => new RegExp(`^${name}: ?((?:.*)(?:\\r\\n[ \\t].*)*)`, 'mi').exec(head)?.[1]?.replace(/\r\n[ \t]/g, ' ') ?? '';
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          subject: decodeWords(header('Subject')),
          text: /quoted-printable/i.test(head) ? decodeQp(body.join('\r\n\r\n')) : body.join('\r\n\r\n'),
          raw,
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://${encodeURIComponent(SMTP_USER)}:${encodeURIComponent(SMTP_PASSWORD)}@127.0.0.1:${port}`,
    mails,
    get logins() {
      return logins;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** RFC 2047 encoded words (=?UTF-8?Q?…?= / ?B?), as nodemailer writes non-ASCII subjects. */
function decodeWords(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?utf-8\?([qb])\?([^?]*)\?=/gi, (_m, enc: string, data: string) =>
      enc.toLowerCase() === 'b' ? Buffer.from(data, 'base64').toString('utf8') : decodeQp(data.replace(/_/g, ' ')),
    );
}

function decodeQp(value: string): string {
  const bytes: number[] = [];
  const text = value.replace(/=\r?\n/g, '');
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '=' && /^[0-9A-F]{2}$/i.test(text.slice(i + 1, i + 3))) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(...Buffer.from(text[i]!, 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

export interface Receiver {
  url: string;
  bodies: Array<Record<string, unknown>>;
  requests: number;
  close(): Promise<void>;
}

/** A real HTTP server receiving the webhook; answers 500 to the first `failFirst` requests. */
export async function startReceiver(failFirst = 0): Promise<Receiver> {
  const state = { bodies: [] as Array<Record<string, unknown>>, requests: 0 };
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      state.requests += 1;
      if (state.requests <= failFirst) {
        res.writeHead(500).end('indisponível');
        return;
      }
      state.bodies.push(JSON.parse(body) as Record<string, unknown>);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hooks/pec-rnds?token=gancho-secreto`,
    get bodies() {
      return state.bodies;
    },
    get requests() {
      return state.requests;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
