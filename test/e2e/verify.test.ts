import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDrill } from '../../reconcile/operations/drill.js';
import type { VerificationRun } from '../../reconcile/operations/verification.js';
import { silentLogger } from '../../src/log.js';
import { type AppliedWorld, appliedWorld } from '../helpers/backups.js';
import { borgops } from '../helpers/cli.js';
import { clientInventory } from '../helpers/fleet.js';
import { type Received, signatureValid, startReceivers, type TestReceivers } from '../helpers/receivers.js';

const HC_UUID = 'a1c2-verify-hc-77e0';
const HOOK_TOKEN = 'verify-hook-token-3b9d';
const HOOK_SECRET = 'verify-hook-secret-51ac';
const NTFY_TOPIC = 'verify-topic-c41f';

/*
 * Receivers of `verification` events (issue 18): a healthchecks check, a signed webhook limited to
 * `local`, an ntfy topic; `backups` wants backup failures only and must hear nothing here; `slow`
 * never answers and is limited to `old`, so it is met twice (the first check and the stale drill).
 */
function config(receivers: string): Record<string, string> {
  const inventory = clientInventory({
    maxAge: '1d',
    destinations: { local: { repo: '@REPOS@/local' }, old: { repo: '@REPOS@/old' } },
    notify: {
      vhc: { healthchecks: { url: `${receivers}/hc/${HC_UUID}` }, on: ['verification'] },
      vhook: {
        webhook: { url: `${receivers}/hook/${HOOK_TOKEN}`, secretCommand: `echo ${HOOK_SECRET}` },
        on: ['verification'],
        destinations: ['local'],
      },
      vphone: { ntfy: { url: `${receivers}/ntfy/${NTFY_TOPIC}` }, on: ['verification'] },
      backups: { webhook: { url: `${receivers}/hook/backups` }, on: ['start', 'success', 'warn', 'fail'] },
      slow: {
        webhook: { url: `${receivers}/hang` },
        on: ['verification'],
        destinations: ['old'],
        timeout: '1s',
      },
    },
  });
  const state = [
    'state:',
    '  app:',
    '    folders: [/srv/app]',
    '  db:',
    '    folders: [/var/lib/db]',
    '    verifyScript: |',
    '      test "$(cat "$RESTORE_DIR/var/lib/db/ok")" = yes',
    '      echo "verify db in $RESTORE_DIR" >> "$BORGOPS_ROOT/verify.log"',
    '      if [ -e "$BORGOPS_ROOT/fail-verify" ]; then echo "integrity check failed" >&2; exit 4; fi',
    '',
  ].join('\n');
  return { 'inventory.json': JSON.stringify(inventory), 'machines/jon/state.yaml': state };
}

/** sha256 of every file under the live folders, with its mode: a drill must change none of them. */
async function liveHash(root: string): Promise<string> {
  const hash = createHash('sha256');
  for (const folder of ['srv/app', 'var/lib/db']) {
    const entries = await readdir(join(root, folder), { recursive: true, withFileTypes: true });
    const files = entries
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name))
      .sort();
    for (const file of files) {
      const info = await stat(file);
      hash.update(`${file}\0${info.mode}\0${info.mtimeMs}\0`);
      hash.update(await readFile(file));
    }
  }
  return hash.digest('hex');
}

function parse(stdout: string): VerificationRun {
  return JSON.parse(stdout) as VerificationRun;
}

const json = (received: Received) => JSON.parse(received.body) as Record<string, unknown>;

describe('borgops check and drill (built CLI, real borg)', () => {
  let world: AppliedWorld;
  let receivers: TestReceivers;
  const hc = () => receivers.at(`/hc/${HC_UUID}`);
  const hook = () => receivers.at(`/hook/${HOOK_TOKEN}`);
  const ntfy = () => receivers.at(`/ntfy/${NTFY_TOPIC}`);
  const liveFiles = { 'srv/app/a.bin': 300_000, 'srv/app/sub/b.txt': 12, 'var/lib/db/ok': 4 };

  beforeAll(async () => {
    receivers = await startReceivers();
    world = await appliedWorld({ files: config(receivers.base) });
    await mkdir(join(world.root, 'srv/app/sub'), { recursive: true });
    await mkdir(join(world.root, 'var/lib/db'), { recursive: true });
    const random = Buffer.alloc(300_000);
    for (let i = 0; i < random.length; i++) random[i] = (i * 7919 + (i >> 8) * 31) % 251;
    await writeFile(join(world.root, 'srv/app/a.bin'), random);
    await writeFile(join(world.root, 'srv/app/sub/b.txt'), 'hello world\n');
    await writeFile(join(world.root, 'var/lib/db/ok'), 'yes\n');
    const created = await borgops(['backups', 'create', 'jon', '--destination', 'local', ...world.args]);
    expect(created.exitCode, created.stderr).toBe(0);
    // the only archive of "old" is two days old (borg reads --timestamp as UTC)
    const old = new Date(Date.now() - 2 * 86_400_000).toISOString().slice(0, 19);
    const raw = await world.rawBorg('old', [
      'create',
      '--timestamp',
      old,
      `${world.repos}/old::jon-old-${old}`,
      'srv/app',
    ]);
    expect(raw.exitCode, raw.stderr).toBe(0);
  }, 180_000);
  afterAll(async () => {
    await receivers?.close();
    await world?.dispose();
  });

  it('check passes on good repositories; drill restores the newest archive into scratch and verifies every file', async () => {
    receivers.clear();
    const check = await borgops(['check', 'jon', '--json', ...world.args]);
    expect(check.exitCode, check.stderr).toBe(0);
    expect(parse(check.stdout).results.map((r) => [r.destination, r.ok])).toEqual([
      ['local', true],
      ['old', true],
    ]);
    // each destination's result went to the receivers that want `verification`
    expect(hc().map((r) => r.path)).toEqual([`/hc/${HC_UUID}`, `/hc/${HC_UUID}`]);
    expect(hc()[0]?.body).toContain('jon/local: check passed');
    expect(hc()[1]?.body).toContain('jon/old: check passed');
    expect(hook().map(json)).toMatchObject([
      {
        event: 'verification',
        verification: 'check',
        result: 'success',
        machine: 'jon',
        destination: 'local',
      },
    ]);
    expect(signatureValid(HOOK_SECRET, hook()[0]!)).toBe(true);
    expect(ntfy().map((r) => r.headers.title)).toEqual([
      'borgops jon/local: check passed',
      'borgops jon/old: check passed',
    ]);
    // `slow` never answers: given up after its timeout, the check still passes, the failure is counted
    expect(
      parse(check.stdout)
        .notifications.filter((n) => !n.ok)
        .map((n) => `${n.receiver} ${n.event} ${n.destination}`),
    ).toEqual(['slow verification old']);
    expect(receivers.abandoned()).toBeGreaterThan(0);

    const before = await liveHash(world.root);
    const drill = await borgops(['drill', 'jon', '--destination', 'local', '--json', ...world.args]);
    expect(drill.exitCode, drill.stderr).toBe(0);
    const [result] = parse(drill.stdout).results;
    expect(result).toMatchObject({ kind: 'drill', destination: 'local', ok: true });
    expect(result?.archive).toMatch(/^jon-local-\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
    expect(result?.files).toBe(Object.keys(liveFiles).length);
    expect(result?.bytes).toBe(Object.values(liveFiles).reduce((a, b) => a + b, 0));
    expect(result?.states?.map((s) => [s.state, s.status, s.files])).toEqual([
      ['app', 'passed', 2],
      ['db', 'passed', 1],
    ]);
    expect(result?.states?.[1]?.script).toMatchObject({ name: 'verify-db', ok: true });
    // the verifyScript saw the restored copy, not the live folder
    const log = await readFile(join(world.root, 'verify.log'), 'utf8');
    expect(log).toContain(`verify db in ${join(world.paths.stateDir, 'drill', 'local-')}`);
    expect(await liveHash(world.root)).toBe(before);
    expect(await readdir(join(world.paths.stateDir, 'drill'))).toEqual([]);

    const runs = JSON.parse(await readFile(world.paths.runs, 'utf8'));
    expect(runs.destinations.local.drill).toMatchObject({ ok: true, files: 3, archive: result?.archive });
    expect(runs.destinations.local.check).toMatchObject({ ok: true, verifyData: false });
    expect(runs.destinations.old.check.lastSuccess).toBeDefined();

    const text = await borgops(['drill', 'jon', '--destination', 'local', '--service', 'app', ...world.args]);
    expect(text.exitCode, text.stderr).toBe(0);
    expect(text.stdout).toContain('verified 2 files');
    expect(text.stdout).toContain('jon: every drill passed');

    expect(hook().slice(1).map(json)).toMatchObject([
      { verification: 'drill', result: 'success', destination: 'local', archive: result?.archive },
      { verification: 'drill', result: 'success', destination: 'local', archive: result?.archive },
    ]);
    expect(String(json(hook()[1]!).log)).toContain('verified 3 files');
    expect(
      hc()
        .slice(2)
        .map((r) => r.path),
    ).toEqual([`/hc/${HC_UUID}`, `/hc/${HC_UUID}`]);
    // a receiver of backup events hears nothing of checks and drills
    expect(receivers.at('/hook/backups')).toEqual([]);
  }, 180_000);

  it('a drill fails on an archive older than maxAge, and when the verifyScript fails; each failure and the recovery are sent', async () => {
    receivers.clear();
    const stale = await borgops(['drill', 'jon', '--destination', 'old', '--json', ...world.args]);
    expect(stale.exitCode).toBe(1);
    const [old] = parse(stale.stdout).results;
    expect(old?.failure?.class).toBe('stale');
    expect(stale.stderr).toMatch(/old: the newest archive jon-old-\S+ is 2d old, older than maxAge 1d/);
    expect(hc().map((r) => r.path)).toEqual([`/hc/${HC_UUID}/fail`]);
    expect(hc()[0]?.body).toMatch(
      /jon\/old: drill failed \(stale\): old: the newest archive jon-old-\S+ is 2d old/,
    );
    // `vhook` hears about `local` only
    expect(hook()).toEqual([]);
    const status = JSON.parse(
      (await borgops(['status', '--json', '--machine', 'jon', ...world.args])).stdout,
    );
    expect(status.notifyFailures).toEqual({ slow: 2 });

    await writeFile(join(world.root, 'fail-verify'), '');
    const before = await liveHash(world.root);
    const failing = await borgops(['drill', 'jon', '--destination', 'local', '--json', ...world.args]);
    await rm(join(world.root, 'fail-verify'));
    expect(failing.exitCode).toBe(1);
    const [result] = parse(failing.stdout).results;
    expect(result?.failure?.class).toBe('verify-script');
    expect(result?.states?.find((s) => s.state === 'db')?.script?.output).toContain('integrity check failed');
    expect(failing.stderr).toContain('local: db: verify-db failed (exit code 4)');
    expect(await liveHash(world.root)).toBe(before);
    expect(await readdir(join(world.paths.stateDir, 'drill'))).toEqual([]);
    expect(hook().map(json)).toMatchObject([
      { event: 'verification', verification: 'drill', result: 'failure', failure: 'verify-script' },
    ]);
    expect(signatureValid(HOOK_SECRET, hook()[0]!)).toBe(true);
    expect(String(json(hook()[0]!).log)).toContain('integrity check failed');
    expect(ntfy().at(-1)?.headers).toMatchObject({ title: 'borgops jon/local: drill failed', priority: '4' });

    // the next drill passes: its message says the failure is over
    const again = await borgops(['drill', 'jon', '--destination', 'local', '--json', ...world.args]);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(json(hook()[1]!)).toMatchObject({
      result: 'success',
      summary: 'jon/local: drill passed again (the last one failed: verify-script)',
    });
    expect(hc().map((r) => r.path)).toEqual([`/hc/${HC_UUID}/fail`, `/hc/${HC_UUID}/fail`, `/hc/${HC_UUID}`]);
  }, 180_000);

  it('refuses a drill up front when the scratch filesystem has less free space than the archive', async () => {
    const run = await runDrill({
      paths: world.paths,
      borg: world.borg,
      logger: silentLogger(),
      destination: 'local',
      freeBytes: async () => 1000,
    });
    expect(run.ok).toBe(false);
    expect(run.results[0]?.failure?.class).toBe('space');
    expect(run.results[0]?.failure?.message).toMatch(
      /has 1000 bytes free, less than the \d+ bytes of jon-local-/,
    );
    expect(run.results[0]?.states).toBeUndefined();
  }, 120_000);

  it('after a segment file is corrupted, check fails naming the destination and the drill fails', async () => {
    const data = join(world.repos, 'local', 'data', '0');
    const segments = await Promise.all(
      (await readdir(data)).map(async (name) => ({ name, size: (await stat(join(data, name))).size })),
    );
    const largest = segments.sort((a, b) => b.size - a.size)[0]!;
    const file = join(data, largest.name);
    const bytes = await readFile(file);
    for (let i = 0; i < 64; i++) {
      const at = Math.floor(bytes.length / 2) + i;
      bytes[at] = (bytes[at] ?? 0) ^ 0xff;
    }
    await writeFile(file, bytes);

    receivers.clear();
    const check = await borgops(['check', 'jon', ...world.args]);
    expect(check.exitCode).toBe(1);
    expect(check.stdout).toMatch(/local: borg check FAILED \(corrupt\)/);
    expect(check.stdout).toMatch(/old: borg check passed/);
    expect(check.stderr).toContain('local: borg check found problems');
    expect(check.stdout).toContain('jon: check failed for local\n');
    // the failure went out as a `verification` event: healthchecks /fail, a signed webhook, ntfy
    expect(hc().map((r) => r.path)).toEqual([`/hc/${HC_UUID}/fail`, `/hc/${HC_UUID}`]);
    expect(hc()[0]?.body).toContain('jon/local: check failed (corrupt): local: borg check found problems');
    expect(hook().map(json)).toMatchObject([
      {
        event: 'verification',
        verification: 'check',
        result: 'failure',
        failure: 'corrupt',
        destination: 'local',
      },
    ]);
    expect(signatureValid(HOOK_SECRET, hook()[0]!)).toBe(true);
    expect(ntfy().map((r) => r.headers.title)).toEqual([
      'borgops jon/local: check failed',
      'borgops jon/old: check passed',
    ]);
    expect(check.stdout).toContain('! notification verification about old to slow (webhook) failed');

    const before = await liveHash(world.root);
    const drill = await borgops(['drill', 'jon', '--destination', 'local', '--json', ...world.args]);
    expect(drill.exitCode).toBe(1);
    const [result] = parse(drill.stdout).results;
    expect(result?.ok).toBe(false);
    expect(result?.failure?.class).toBe('corrupt');
    expect(await liveHash(world.root)).toBe(before);
    expect(await readdir(join(world.paths.stateDir, 'drill'))).toEqual([]);
    const runs = JSON.parse(await readFile(world.paths.runs, 'utf8'));
    expect(runs.destinations.local.check).toMatchObject({ ok: false, failure: 'corrupt' });
    expect(runs.destinations.local.check.lastSuccess).toBeDefined();
    expect(runs.destinations.local.drill).toMatchObject({ ok: false, failure: 'corrupt' });
    expect(hook().slice(1).map(json)).toMatchObject([
      { verification: 'drill', result: 'failure', failure: 'corrupt', destination: 'local' },
    ]);
    expect(receivers.at('/hook/backups')).toEqual([]);
  }, 180_000);
});
