import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request a receiver got, as recorded by the test server. */
export interface Received {
  method: string;
  /** Path without the query. */
  path: string;
  query: Record<string, string>;
  headers: IncomingMessage['headers'];
  body: string;
}

/**
 * Real HTTP receivers on 127.0.0.1 for notification tests: `/hc/<uuid>[/start|/fail|/log]`
 * answers like healthchecks.io (`OK`), `/hook/<token>` like a webhook receiver, `/ntfy/<topic>`
 * like ntfy, `/hang` never answers (its requests count when the client gives up), `/flaky` fails
 * twice with 503, then answers.
 */
export interface TestReceivers {
  base: string;
  received: Received[];
  /** Requests to /hang the client gave up on. */
  abandoned: () => number;
  /** What arrived under a path prefix, in order. */
  at(prefix: string): Received[];
  clear(): void;
  close(): Promise<void>;
}

export async function startReceivers(): Promise<TestReceivers> {
  const received: Received[] = [];
  let abandoned = 0;
  let flaky = 0;
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const url = new URL(request.url ?? '/', 'http://receiver');
      const entry: Received = {
        method: request.method ?? '',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      received.push(entry);
      if (url.pathname === '/hang') {
        response.on('close', () => {
          abandoned++;
        });
        return;
      }
      if (url.pathname === '/flaky' && ++flaky <= 2) {
        response.writeHead(503).end('try later');
        return;
      }
      response.writeHead(200, { 'content-type': 'text/plain' }).end('OK');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return {
    base: `http://127.0.0.1:${port}`,
    received,
    abandoned: () => abandoned,
    at: (prefix) => received.filter((r) => r.path.startsWith(prefix)),
    clear: () => {
      received.length = 0;
    },
    close,
  };
}

/** A port nothing listens on (bound, then closed). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** What a receiver of borgops webhooks must check: the HMAC-SHA256 of the raw body. */
export function signatureValid(secret: string, received: Received): boolean {
  const header = received.headers['x-borgops-signature-256'];
  if (typeof header !== 'string') return false;
  const expected = `sha256=${createHmac('sha256', secret).update(received.body).digest('hex')}`;
  return header.length === expected.length && timingSafeEqual(Buffer.from(header), Buffer.from(expected));
}
