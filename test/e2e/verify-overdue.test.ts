import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRuns } from '../../src/host/runs.js';
import { type AppliedWorld, appliedWorld } from '../helpers/backups.js';
import { borgops } from '../helpers/cli.js';
import { clientInventory } from '../helpers/fleet.js';
import { startReceivers, type TestReceivers } from '../helpers/receivers.js';

const HOOK = '/hook/overdue-4e1b';
const NTFY = '/ntfy/overdue-topic-9c2d';

/*
 * A check or drill whose scheduled job stopped running is told, once per overdue spell, by the
 * next backup: `verification` receivers hear `failure` of class `overdue` (issue 18's gap: it was
 * a metric and an alert only). Time passes by moving borgops's own clocks back (the ledger's first
 * apply, runs.json's last success), as the days would.
 */
function config(receivers: string): Record<string, string> {
  const inventory = clientInventory({
    destinations: { local: { repo: '@REPOS@/local' } },
    verify: { check: 'weekly', drill: 'weekly' },
    notify: {
      verifying: { webhook: { url: `${receivers}${HOOK}` }, on: ['verification'] },
      phone: { ntfy: { url: `${receivers}${NTFY}` }, on: ['verification'] },
    },
  });
  return {
    'inventory.json': JSON.stringify(inventory),
    'machines/jon/state.yaml': 'state:\n  app:\n    folders: [/srv/app]\n',
  };
}

const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();

describe('overdue checks and drills are told by the next backup, once per spell', () => {
  let world: AppliedWorld;
  let receivers: TestReceivers;
  const told = () =>
    receivers.at(HOOK).map((r) => {
      const body = JSON.parse(r.body) as Record<string, unknown>;
      return [body.event, body.verification, body.result, body.failure, body.destination];
    });
  const backup = async () => {
    receivers.clear();
    const created = await borgops(['backups', 'create', 'jon', ...world.args]);
    expect(created.exitCode, created.stderr).toBe(0);
  };

  beforeAll(async () => {
    receivers = await startReceivers();
    world = await appliedWorld({ files: config(receivers.base) });
    await mkdir(join(world.root, 'srv/app'), { recursive: true });
    await writeFile(join(world.root, 'srv/app/data'), 'app data\n');
  }, 120_000);
  afterAll(async () => {
    await receivers?.close();
    await world?.dispose();
  });

  it('is quiet while nothing is overdue', async () => {
    await backup();
    expect(told()).toEqual([]);
  });

  it('tells each overdue kind once, and again only after a success starts a new spell', async () => {
    // applied three weeks ago, never checked nor drilled: both weekly jobs are overdue (> 2 weeks)
    const ledger = JSON.parse(await readFile(world.paths.ledger, 'utf8'));
    ledger.destinations.local.firstAppliedAt = daysAgo(21);
    await writeFile(world.paths.ledger, JSON.stringify(ledger));
    await backup();
    expect(told()).toEqual([
      ['verification', 'check', 'failure', 'overdue', 'local'],
      ['verification', 'drill', 'failure', 'overdue', 'local'],
    ]);
    const message = JSON.parse(receivers.at(HOOK)[1]?.body ?? '{}');
    expect(message.summary).toBe(
      'jon/local: drill overdue: no successful drill yet (applied 21d ago); expected within 14d',
    );
    expect(message.log).toContain('By hand: borgops drill jon --destination local');
    expect(receivers.at(NTFY).map((r) => r.headers.title)).toEqual([
      'borgops jon/local: check overdue',
      'borgops jon/local: drill overdue',
    ]);

    // the same spell is not told again
    await backup();
    expect(told()).toEqual([]);

    // a drill passes: its spell ends (told as the pass); the check is still in the same spell
    receivers.clear();
    const drill = await borgops(['drill', 'jon', ...world.args]);
    expect(drill.exitCode, drill.stderr).toBe(0);
    expect(told()).toEqual([['verification', 'drill', 'success', undefined, 'local']]);
    await backup();
    expect(told()).toEqual([]);

    // three weeks later without a drill: a new spell, told again
    const runs = JSON.parse(await readFile(world.paths.runs, 'utf8'));
    runs.destinations.local.drill.lastSuccess = daysAgo(21);
    runs.destinations.local.drill.lastAttempt = daysAgo(21);
    await writeFile(world.paths.runs, JSON.stringify(runs));
    await backup();
    expect(told()).toEqual([['verification', 'drill', 'failure', 'overdue', 'local']]);
    expect(JSON.parse(receivers.at(HOOK)[0]?.body ?? '{}').summary).toMatch(
      /jon\/local: drill overdue: no successful drill since \S+ \(21d ago\); expected within .*; the last attempt, \S+, passed$/,
    );
    expect((await readRuns(world.paths.runs)).destinations.local?.drill?.ok).toBe(true);
  });

  it('a damaged overdue-notices.json is a warning; the backup is not failed for it', async () => {
    await writeFile(world.paths.overdueNotices, '{"version": 1, "sent": ');
    receivers.clear();
    const created = await borgops(['backups', 'create', 'jon', ...world.args]);
    expect(created.exitCode, created.stderr).toBe(0);
    expect(created.stderr).toContain('cannot tell overdue checks and drills');
    expect(created.stderr).toContain('overdue-notices.json');
    expect(told()).toEqual([]);
  });
});
