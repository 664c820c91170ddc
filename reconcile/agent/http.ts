import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BorgopsError } from '../../src/errors.js';
import { type Logger, redactDeep } from '../../src/log.js';
import type { HealthReport } from '../operations/health.js';
import { type Counters, renderMetrics } from '../render/metrics.js';
import { renderStatusPage } from '../render/status-html.js';

export interface AgentHttpOptions {
  /** `host:port`; port 0 picks a free one. */
  listen: string;
  report(): Promise<HealthReport>;
  counters(): Counters;
  /** Called for an authenticated push webhook: fetch and reconcile now. */
  onPush(): void;
  /** The shared secret webhooks are signed with; without one, /hooks/push is refused. */
  webhookSecret?: string;
  logger: Logger;
}

export interface AgentHttp {
  address: { host: string; port: number };
  close(): Promise<void>;
}

const maxBody = 1024 * 1024;

export function parseListen(listen: string): { host: string; port: number } {
  // a bare port is loopback's: the agent never listens on every interface unless told to
  if (/^\d+$/.test(listen)) return parseListen(`127.0.0.1:${listen}`);
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(listen);
  const port = Number(match?.[3]);
  if (!match || !Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new BorgopsError(
      'E_USAGE',
      `--listen must be host:port or a port (e.g. 127.0.0.1:9797 or 9797), not "${listen}"`,
    );
  }
  return { host: match[1] ?? match[2] ?? '127.0.0.1', port };
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** GitHub (`X-Hub-Signature-256: sha256=…`), Gitea/Forgejo (`X-Gitea-Signature: …`) HMAC-SHA256, or GitLab's token. */
export function webhookAuthentic(secret: string, body: Buffer, headers: IncomingMessage['headers']): boolean {
  const digest = createHmac('sha256', secret).update(body).digest('hex');
  const github = headers['x-hub-signature-256'];
  if (typeof github === 'string') return safeEqual(github, `sha256=${digest}`);
  const gitea = headers['x-gitea-signature'] ?? headers['x-forgejo-signature'];
  if (typeof gitea === 'string') return safeEqual(gitea, digest);
  const gitlab = headers['x-gitlab-token'];
  if (typeof gitlab === 'string') return safeEqual(gitlab, secret);
  return false;
}

async function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > maxBody) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function send(response: ServerResponse, status: number, type: string, body: string): void {
  response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  response.end(body);
}

/**
 * The report as the listener serves it: every string redacted (credentials in URLs, remembered
 * secret texts such as a passCommand), as the logs, runs.json and status.json are. A declared
 * repository URL, a borg error or a refused commit's message may carry one, and whoever reaches
 * the listener reads all three views.
 */
function redactedReport(report: HealthReport): HealthReport {
  return redactDeep(report) as HealthReport;
}

/** The agent's HTTP listener: / (status page), /healthz, /status, /metrics, POST /hooks/push. */
export async function startHttp(options: AgentHttpOptions): Promise<AgentHttp> {
  const { host, port } = parseListen(options.listen);
  const server = createServer((request, response) => {
    void handle(request, response).catch((error: unknown) => {
      options.logger.error({ err: error, url: request.url }, 'http request failed');
      if (!response.headersSent) send(response, 500, 'text/plain', 'internal error\n');
    });
  });
  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', 'http://agent').pathname;
    const report = async () => redactedReport(await options.report());
    if (request.method === 'GET' && path === '/healthz') return send(response, 200, 'text/plain', 'ok\n');
    if (request.method === 'GET' && path === '/') {
      return send(response, 200, 'text/html; charset=utf-8', renderStatusPage(await report(), new Date()));
    }
    if (request.method === 'GET' && path === '/status') {
      return send(response, 200, 'application/json', `${JSON.stringify(await report(), null, 2)}\n`);
    }
    if (request.method === 'GET' && path === '/metrics') {
      return send(
        response,
        200,
        'text/plain; version=0.0.4; charset=utf-8',
        renderMetrics(await report(), options.counters()),
      );
    }
    if (path === '/hooks/push') {
      if (request.method !== 'POST') return send(response, 405, 'text/plain', 'POST only\n');
      if (options.webhookSecret === undefined)
        return send(
          response,
          403,
          'text/plain',
          'webhooks are off: start watch with --webhook-secret-file\n',
        );
      const body = await readBody(request);
      if (body === undefined) return send(response, 413, 'text/plain', 'body too large\n');
      if (!webhookAuthentic(options.webhookSecret, body, request.headers)) {
        options.logger.warn({ remote: request.socket.remoteAddress }, 'webhook refused: bad signature');
        return send(response, 401, 'text/plain', 'bad signature\n');
      }
      options.onPush();
      return send(response, 202, 'text/plain', 'fetch scheduled\n');
    }
    return send(response, 404, 'text/plain', 'not found: /, /healthz, /status, /metrics, POST /hooks/push\n');
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) =>
      reject(
        new BorgopsError(
          'E_HOST',
          `cannot listen on ${host}:${port}: ${(error as NodeJS.ErrnoException).code ?? error.message}`,
          { cause: error },
        ),
      ),
    );
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    address: { host: address.address, port: address.port },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
