import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppliedWorld, appliedWorld } from '../helpers/backups.js';
import { borgops } from '../helpers/cli.js';
import {
  closedPort,
  type Received,
  signatureValid,
  startReceivers,
  type TestReceivers,
} from '../helpers/receivers.js';

/*
 * Notifications of `backups create` (built CLI, real borg) to real HTTP receivers on 127.0.0.1:
 * a healthchecks-like endpoint, a webhook receiver checking the signature, an ntfy-like topic, a
 * receiver that is down and one that never answers. Every URL, secret and token comes from a
 * command, so none is in git, and the last test scans everything borgops wrote or printed.
 */

const HC_UUID = '5b7a1d0e-hc-9f3c-4c1e-aa71d3c0ffee';
const STRICT_UUID = '0d9e7c2a-strict-4a47-b5e5-1e2f3a4b5c6d';
const HOOK_TOKEN = 'hook-path-token-8c1f2e';
const HOOK_SECRET = 'webhook-hmac-secret-41d7';
const NTFY_TOPIC = 'borgops-topic-d3a9e1';
const NTFY_TOKEN = 'tk_ntfytoken_77c2b0';
const SECRETS = [HC_UUID, STRICT_UUID, HOOK_TOKEN, HOOK_SECRET, NTFY_TOPIC, NTFY_TOKEN];

let world: AppliedWorld;
let receivers: TestReceivers;
let commit: string;
const outputs: string[] = [];

async function create(destination: string) {
  receivers.clear();
  const result = await borgops(
    ['backups', 'create', 'jon', '--destination', destination, '--json', ...world.args],
    {
      env: { BORGOPS_LOG_LEVEL: 'debug' },
    },
  );
  outputs.push(result.stdout, result.stderr);
  return { ...result, run: JSON.parse(result.stdout) as Run };
}

interface Run {
  destinations: { archive?: string }[];
  notifications: { receiver: string; event: string; ok: boolean; error?: string }[];
}

const hc = () => receivers.at(`/hc/${HC_UUID}`);
const strict = () => receivers.at(`/hc/${STRICT_UUID}`);
const hook = () => receivers.at(`/hook/${HOOK_TOKEN}`);
const ntfy = () => receivers.at(`/ntfy/${NTFY_TOPIC}`);
const json = (received: Received) => JSON.parse(received.body) as Record<string, unknown>;

beforeAll(async () => {
  receivers = await startReceivers();
  const down = await closedPort();
  const unreachable = await closedPort();
  world = await appliedWorld({
    apply: false,
    files: {
      'inventory.json': 'placeholder',
      'machines/jon/state.yaml': [
        'state:',
        '  app:',
        '    folders: [/srv/app, /srv/optional]',
        '    preBackupScript: |',
        '      if [ -e "$BORGOPS_ROOT/fail-pre" ]; then echo "database dump failed: disk full" >&2; exit 3; fi',
        '',
      ].join('\n'),
    },
    edit: async (config, repos) => {
      const secrets = join(config, '..', 'secrets');
      await mkdir(secrets, { recursive: true });
      const file = async (name: string, content: string) => {
        await writeFile(join(secrets, name), `${content}\n`);
        return `cat ${join(secrets, name)}`;
      };
      const inventory = {
        machines: { jon: {} },
        instances: {
          borgbackup: {
            module: { name: 'borgbackup' },
            roles: {
              client: {
                settings: {
                  encryption: { mode: 'none' },
                  // role-wide, completed per machine below: maps merge key by key
                  notify: {
                    hc: {
                      healthchecks: { urlCommand: await file('hc.url', `${receivers.base}/hc/${HC_UUID}`) },
                      on: ['start', 'success', 'warn', 'fail'],
                    },
                  },
                },
                machines: {
                  jon: {
                    settings: {
                      destinations: {
                        local: { repo: join(repos, 'local') },
                        gone: {
                          repo: `ssh://borg@127.0.0.1:${unreachable}/./gone`,
                          rsh: 'ssh -o BatchMode=yes -o StrictHostKeyChecking=no',
                        },
                      },
                      notify: {
                        hc: { destinations: ['local'] },
                        strict: {
                          healthchecks: {
                            urlCommand: await file('strict.url', `${receivers.base}/hc/${STRICT_UUID}`),
                            failOnWarning: true,
                          },
                        },
                        hook: {
                          webhook: {
                            urlCommand: await file('hook.url', `${receivers.base}/hook/${HOOK_TOKEN}`),
                            secretCommand: await file('hook.secret', HOOK_SECRET),
                          },
                          on: ['success', 'warn', 'fail'],
                        },
                        phone: {
                          ntfy: {
                            urlCommand: await file('ntfy.url', `${receivers.base}/ntfy/${NTFY_TOPIC}`),
                            tokenCommand: await file('ntfy.token', NTFY_TOKEN),
                          },
                        },
                        down: {
                          webhook: { urlCommand: await file('down.url', `http://127.0.0.1:${down}/hook`) },
                          on: ['start', 'success', 'warn', 'fail'],
                          timeout: '1s',
                        },
                        slow: {
                          webhook: { urlCommand: await file('slow.url', `${receivers.base}/hang`) },
                          on: ['start', 'success', 'warn', 'fail'],
                          timeout: '1s',
                        },
                      },
                    },
                  },
                },
              },
            },
          },
        },
      };
      await writeFile(join(config, 'inventory.json'), `${JSON.stringify(inventory, null, 2)}\n`);
    },
  });
  await mkdir(join(world.root, 'srv/app'), { recursive: true });
  await writeFile(join(world.root, 'srv/app/data'), 'app data\n');
  // `gone` cannot be initialized: apply reports it and still records the declarations
  const applied = await borgops(
    ['apply', '--source', world.config, '--machine', 'jon', '--scheduler', 'embedded', ...world.args],
    {
      env: { BORGOPS_LOG_LEVEL: 'debug' },
    },
  );
  outputs.push(applied.stdout, applied.stderr);
  expect(applied.stdout).toContain('gone');
  // receivers are declarations: said in words, URL hidden, nothing installed
  expect(applied.stdout).toContain(
    'notify/hc: healthchecks receiver hc added (URL hidden), on start, success, warn, fail; nothing to install',
  );
  const status = JSON.parse(
    (await borgops(['status', '--json', '--machine', 'jon', ...world.args])).stdout,
  ) as { appliedCommit?: string };
  commit = status.appliedCommit ?? '';
  expect(commit).toMatch(/^[0-9a-f]{40}$/);
}, 60_000);
afterAll(async () => {
  await receivers?.close();
  await world?.dispose();
});

describe('notifications of backups create (real HTTP receivers, real borg)', () => {
  it('a success: healthchecks start and success with one run id, a signed webhook, nothing to ntfy', async () => {
    await mkdir(join(world.root, 'srv/optional'), { recursive: true });
    await writeFile(join(world.root, 'srv/optional/file'), 'optional\n');
    const { exitCode, run } = await create('local');
    expect(exitCode).toBe(0);
    const archive = run.destinations[0]?.archive ?? '';
    expect(archive).toMatch(/^jon-local-/);

    expect(hc().map((r) => r.path)).toEqual([`/hc/${HC_UUID}/start`, `/hc/${HC_UUID}`]);
    expect(hc()[0]?.query.rid).toMatch(/^[0-9a-f-]{36}$/);
    expect(hc()[1]?.query.rid).toBe(hc()[0]?.query.rid);
    expect(hc()[1]?.body).toContain(`jon/local: backed up ${archive}`);
    expect(strict()).toEqual([]);
    expect(ntfy()).toEqual([]);

    expect(hook()).toHaveLength(1);
    const [success] = hook();
    expect(signatureValid(HOOK_SECRET, success!)).toBe(true);
    expect(signatureValid('another secret', success!)).toBe(false);
    expect(success?.headers['content-type']).toBe('application/json');
    expect(json(success!)).toMatchObject({
      version: 1,
      machine: 'jon',
      destination: 'local',
      event: 'success',
      result: 'success',
      archive,
      warnings: [],
      commit,
    });
    expect(json(success!).durationSeconds).toBeTypeOf('number');
    expect(json(success!).log).toContain(`local: created ${archive}`);

    // `down` refuses connections and `slow` never answers: the run still exits 0, gave up on
    // them after their timeout (the hanging requests were abandoned) and counted them
    const failed = run.notifications.filter((n) => !n.ok).map((n) => n.receiver);
    expect(new Set(failed)).toEqual(new Set(['down', 'slow']));
    expect(
      run.notifications
        .filter((n) => n.ok)
        .map((n) => `${n.receiver} ${n.event}`)
        .sort(),
    ).toEqual(['hc start', 'hc success', 'hook success']);
    expect(receivers.at('/hang').length).toBeGreaterThan(0);
    expect(receivers.abandoned()).toBeGreaterThan(0);
    const status = JSON.parse(
      (await borgops(['status', '--json', '--machine', 'jon', ...world.args])).stdout,
    ) as { notifyFailures?: Record<string, number> };
    // one start and one success each
    expect(status.notifyFailures).toEqual({ down: 2, slow: 2 });
  });

  it('a warning (borg exit 1: a state folder is missing) pings success with the warning; failOnWarning pings /fail', async () => {
    await rm(join(world.root, 'srv/optional'), { recursive: true, force: true });
    const { exitCode } = await create('local');
    expect(exitCode).toBe(0);
    expect(hc().map((r) => r.path)).toEqual([`/hc/${HC_UUID}/start`, `/hc/${HC_UUID}`]);
    expect(hc()[1]?.body).toContain('warning: /srv/optional does not exist');
    expect(strict().map((r) => r.path)).toEqual([`/hc/${STRICT_UUID}/fail`]);
    expect(strict()[0]?.body).toContain('/srv/optional does not exist');
    expect(hook().map((r) => json(r).event)).toEqual(['warn']);
    expect(json(hook()[0]!)).toMatchObject({ result: 'warning', destination: 'local' });
    expect(String((json(hook()[0]!).warnings as string[])[0])).toContain('/srv/optional does not exist');
    expect(ntfy()).toEqual([]);
  });

  it('a failing pre-backup script: /fail with the script output, a webhook failure, an ntfy alert with the token', async () => {
    await writeFile(join(world.root, 'fail-pre'), '');
    try {
      const { exitCode } = await create('local');
      expect(exitCode).toBe(1);
    } finally {
      await rm(join(world.root, 'fail-pre'));
    }
    expect(hc().map((r) => r.path)).toEqual([`/hc/${HC_UUID}/start`, `/hc/${HC_UUID}/fail`]);
    expect(hc()[1]?.body).toContain('pre-backup-app: failed: exit code 3');
    expect(hc()[1]?.body).toContain('database dump failed: disk full');
    expect(strict().map((r) => r.path)).toEqual([`/hc/${STRICT_UUID}/fail`]);
    expect(hook().map((r) => json(r))).toMatchObject([
      { event: 'fail', result: 'failure', failure: 'pre-backup', destination: 'local' },
    ]);
    expect(signatureValid(HOOK_SECRET, hook()[0]!)).toBe(true);
    expect(ntfy()).toHaveLength(1);
    const [alert] = ntfy();
    expect(alert?.headers.authorization).toBe(`Bearer ${NTFY_TOKEN}`);
    expect(alert?.headers.title).toBe('borgops jon/local: backup failed');
    expect(alert?.headers.priority).toBe('5');
    expect(alert?.body).toContain('database dump failed: disk full');
  });

  it('an unreachable destination: only the receivers that listen to it hear, with the failure class', async () => {
    const { exitCode } = await create('gone');
    expect(exitCode).toBe(1);
    // hc listens to `local` only
    expect(hc()).toEqual([]);
    expect(strict().map((r) => r.path)).toEqual([`/hc/${STRICT_UUID}/fail`]);
    expect(hook().map((r) => json(r))).toMatchObject([
      { event: 'fail', result: 'failure', failure: 'unreachable', destination: 'gone' },
    ]);
    expect(ntfy().map((r) => r.headers.title)).toEqual(['borgops jon/gone: backup failed']);
  });

  it('notify test reports every answer (--json), healthchecks gets /log', async () => {
    receivers.clear();
    const text = await borgops(['notify', 'test', '--machine', 'jon', ...world.args]);
    const asJson = await borgops([
      'notify',
      'test',
      '--machine',
      'jon',
      '--destination',
      'gone',
      '--json',
      ...world.args,
    ]);
    outputs.push(text.stdout, text.stderr, asJson.stdout, asJson.stderr);
    expect(text.exitCode).toBe(1);
    expect(text.stdout).toContain('✓ hc (healthchecks): 200 OK: OK');
    expect(text.stdout).toContain('✓ phone (ntfy): 200 OK');
    // one attempt within its 1 s timeout: refused, or (on a loaded machine) not done in time
    expect(text.stdout).toMatch(/✗ down \(webhook\): (connection refused|gave up)/);
    expect(text.stdout).toMatch(/✗ slow \(webhook\): (timed out after 1s|gave up)/);
    expect(hc().map((r) => r.path)).toEqual([`/hc/${HC_UUID}/log`, ...[]]);
    const result = JSON.parse(asJson.stdout) as {
      receivers: { receiver: string; sent: boolean; ok: boolean }[];
    };
    expect(result.receivers.find((r) => r.receiver === 'hc')).toMatchObject({ sent: false });
    expect(result.receivers.find((r) => r.receiver === 'hook')).toMatchObject({ sent: true, ok: true });
  });

  it('no receiver URL, secret or token in any output, log, or file under the root and state directory', async () => {
    const metrics = await borgops(['status', '--json', '--machine', 'jon', ...world.args]);
    outputs.push(metrics.stdout, metrics.stderr);
    const files = await readdir(world.root, { recursive: true, withFileTypes: true });
    const texts: [string, string][] = outputs.map((text, index) => [`output ${index}`, text]);
    for (const entry of files) {
      if (!entry.isFile()) continue;
      const path = join(entry.parentPath, entry.name);
      texts.push([path, await readFile(path, 'latin1')]);
    }
    expect(texts.length).toBeGreaterThan(20);
    // the receivers were really used (the scan is not over empty output)
    expect(outputs.join('\n')).toContain('notification');
    const leaks = texts.flatMap(([where, text]) =>
      SECRETS.filter((secret) => text.includes(secret)).map((secret) => `${where}: ${secret}`),
    );
    expect(leaks).toEqual([]);
  });
});
