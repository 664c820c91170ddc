import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Plan } from '../../../reconcile/engine/model.js';
import { readSavedPlan, writeSavedPlan } from '../../../reconcile/engine/saved-plan.js';
import { isBorgopsError } from '../../../src/errors.js';
import { tempDir } from '../../helpers/temp.js';

const diff = { path: '/h/pre-backup-x', before: '', after: 'echo\n' };

function planOf(): Plan {
  return {
    version: 1,
    machine: 'jon',
    commit: 'a'.repeat(40),
    worktree: false,
    createdAt: '2026-03-10T12:00:00.000Z',
    fingerprint: 'f'.repeat(64),
    refresh: false,
    scheduler: 'embedded',
    actions: [
      { id: 'ssh-key', op: 'ssh-key.create', kind: 'ssh-key', effect: 'additive', summary: 'create key' },
      {
        id: 'retention/local',
        op: 'retention.prune',
        kind: 'retention',
        effect: 'destructive',
        summary: 'prune 1',
        destination: 'local',
        archives: ['jon-1'],
        kept: 3,
        total: 4,
      },
      {
        id: 'hook/pre-backup-x',
        op: 'hook.write',
        kind: 'hook',
        effect: 'additive',
        summary: 'write hook',
        name: 'pre-backup-x',
        state: 'x',
        phase: 'pre-backup',
        content: 'echo\n',
        diff,
      },
      {
        id: 'authorized-key/sara',
        op: 'authorized-key.set',
        kind: 'authorized-key',
        effect: 'mutating',
        summary: 'set key',
        client: 'sara',
        file: '/srv/borg/sara/.ssh/authorized_keys',
        remove: [],
        add: ['ssh-ed25519 AAAA sara'],
      },
    ],
    notes: [],
    warnings: [],
    errors: [],
    refusals: [{ guard: 'large-prune', id: 'retention/local', message: 'too many' }],
    summary: { add: 2, change: 1, destroy: 1, archives: 1 },
    borgProcesses: 1,
  };
}

async function failure(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isBorgopsError(error)) throw new Error(`expected a BorgopsError, got ${String(error)}`);
  return error;
}

describe('saved plans (plan --out, apply --plan)', () => {
  it('reads back exactly what was saved', async () => {
    const path = join(await tempDir(), 'plans', 'jon.json');
    await writeSavedPlan(path, planOf());
    expect(await readSavedPlan(path)).toEqual(planOf());
  });

  it('refuses a plan with an action of the wrong shape, naming the file and the field', async () => {
    const path = join(await tempDir(), 'plan.json');
    const plan = planOf();
    await writeFile(
      path,
      JSON.stringify({ ...plan, actions: [{ ...plan.actions[1], archives: 'everything' }] }),
    );
    const error = await failure(readSavedPlan(path));
    expect(error.code).toBe('E_USAGE');
    expect(error.shortMessage).toBe(
      `${path} is not a borgops plan (version 1); make a new one with \`borgops plan --out FILE\``,
    );
    expect(error.details).toEqual([expect.stringMatching(/^actions\.0\.archives: /)]);

    await writeFile(
      path,
      JSON.stringify({ ...plan, actions: [{ ...plan.actions[0], op: 'volcano.erupt' }] }),
    );
    expect((await failure(readSavedPlan(path))).details).toEqual([
      expect.stringMatching(/^actions\.0\.op: /),
    ]);
    await writeFile(path, JSON.stringify({ ...plan, version: 7 }));
    expect((await failure(readSavedPlan(path))).shortMessage).toContain(
      '(version 7; this borgops reads version 1)',
    );
  });

  it('is a usage error when the plan is missing or cannot be read (a directory)', async () => {
    const dir = await tempDir();
    const missing = await failure(readSavedPlan(join(dir, 'nope.json')));
    expect([missing.code, missing.shortMessage]).toEqual([
      'E_USAGE',
      `cannot read the plan ${join(dir, 'nope.json')}: no such file or directory (ENOENT)`,
    ]);
    await mkdir(join(dir, 'plan.json'));
    const directory = await failure(readSavedPlan(join(dir, 'plan.json')));
    expect([directory.code, directory.shortMessage]).toEqual([
      'E_USAGE',
      `cannot read ${join(dir, 'plan.json')}: is a directory (EISDIR)`,
    ]);
  });

  it('names the file and the errno when --out cannot be written', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'plan.json'));
    const error = await failure(writeSavedPlan(join(dir, 'plan.json'), planOf()));
    expect([error.code, error.shortMessage]).toEqual([
      'E_HOST',
      `cannot write the plan to ${join(dir, 'plan.json')}: is a directory (EISDIR)`,
    ]);
  });
});
