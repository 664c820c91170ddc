import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makePlan, runApply } from '../../../reconcile/engine/converge.js';
import type { Plan } from '../../../reconcile/engine/model.js';
import { readSavedPlan, writeSavedPlan } from '../../../reconcile/engine/saved-plan.js';
import { isBorgopsError } from '../../../src/errors.js';
import {
  archiveNames,
  type ConvergeWorld,
  convergeWorld,
  dailyArchives,
  seedArchives,
} from '../../helpers/converge.js';
import { tempDir } from '../../helpers/temp.js';

async function savePlan(w: ConvergeWorld, edit: (plan: Plan) => void): Promise<string> {
  const planned = await makePlan(w.options);
  const saved = structuredClone(planned.plan);
  edit(saved);
  const file = join(w.root, '..', 'plan.json');
  await writeFile(file, JSON.stringify(saved));
  return file;
}

function applySaved(w: ConvergeWorld, planFile: string) {
  return runApply({ ...w.options, allow: new Set(), planFile });
}

describe('apply --plan FILE recomputes the plan and runs only what it recomputed', () => {
  it('refuses a plan whose hook action was renamed to escape the hooks directory', async () => {
    const w = await convergeWorld();
    const file = await savePlan(w, (plan) => {
      for (const action of plan.actions) {
        if (action.op === 'hook.write') {
          action.name = '../../../../x';
          action.content = 'touch /tmp/pwned\n';
        }
      }
    });
    await expect(applySaved(w, file)).rejects.toMatchObject({
      code: 'E_GUARD',
      shortMessage: expect.stringMatching(/saved plan's actions differ from the recomputed plan/),
    });
    await expect(stat(join(w.root, '..', 'x'))).rejects.toThrow(/ENOENT/);
    await expect(stat(join(w.paths.hooksDir, 'pre-backup-linkding'))).rejects.toThrow(/ENOENT/);
  });

  it('refuses a plan with an added authorized-key action', async () => {
    const w = await convergeWorld();
    const victim = join(w.root, 'home/admin/.ssh/authorized_keys');
    await mkdir(join(w.root, 'home/admin/.ssh'), { recursive: true });
    await writeFile(victim, 'ssh-ed25519 AAAAadmin admin\n');
    const file = await savePlan(w, (plan) => {
      plan.actions.push({
        op: 'authorized-key.set',
        id: 'authorized-key/evil',
        kind: 'authorized-key',
        client: 'evil',
        file: victim,
        remove: [],
        add: ['ssh-ed25519 AAAAattacker evil'],
        effect: 'additive',
        summary: 'authorize evil',
      });
    });
    await expect(applySaved(w, file)).rejects.toMatchObject({ code: 'E_GUARD' });
    expect(await readFile(victim, 'utf8')).toBe('ssh-ed25519 AAAAadmin admin\n');
  });

  it('takes refusals from the recomputation: an emptied refusals list does not prune', async () => {
    const w = await convergeWorld({ prune: { keep: { daily: 10 } } });
    expect((await w.apply()).result.errors).toEqual([]);
    await seedArchives(w, 'local', dailyArchives(['01', '02', '03', '04']));
    await w.repo.commit({
      'inventory.json': (await readFile(join(w.repo.dir, 'inventory.json'), 'utf8')).replace(
        '"daily": 10',
        '"daily": 1',
      ),
    });
    const file = await savePlan(w, (plan) => {
      expect(plan.refusals.map((r) => r.guard)).toEqual(['large-prune']);
      plan.refusals = [];
    });
    await expect(applySaved(w, file)).rejects.toMatchObject({
      code: 'E_GUARD',
      shortMessage: expect.stringMatching(/refused by 1 safety guard/),
    });
    expect(await archiveNames(w, 'local')).toHaveLength(4);
  });

  it('refuses a saved prune of archives that are not in the recomputed plan', async () => {
    const w = await convergeWorld({ prune: { keep: { daily: 10 } } });
    expect((await w.apply()).result.errors).toEqual([]);
    await seedArchives(w, 'local', {
      'sara-local-2026-03-01T01:00:00': '2026-03-01T01:00:00',
      'jon-local-2026-03-01T01:00:00': '2026-03-01T01:00:00',
    });
    const file = await savePlan(w, (plan) => {
      plan.actions.push({
        op: 'retention.prune',
        id: 'retention/local',
        kind: 'retention',
        destination: 'local',
        archives: ['sara-local-2026-03-01T01:00:00'],
        kept: 1,
        total: 2,
        effect: 'destructive',
        summary: 'prune',
      });
    });
    await expect(applySaved(w, file)).rejects.toMatchObject({ code: 'E_GUARD' });
    expect((await archiveNames(w, 'local')).sort()).toEqual([
      'jon-local-2026-03-01T01:00:00',
      'sara-local-2026-03-01T01:00:00',
    ]);
  });

  it('refuses a plan whose fingerprint was edited, though its actions are the recomputed ones', async () => {
    const w = await convergeWorld();
    const file = await savePlan(w, (plan) => {
      plan.fingerprint = plan.fingerprint.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    });
    await expect(applySaved(w, file)).rejects.toMatchObject({
      code: 'E_GUARD',
      shortMessage: expect.stringMatching(/^the saved plan is stale/),
    });
    await expect(stat(join(w.paths.hooksDir, 'pre-backup-linkding'))).rejects.toThrow(/ENOENT/);
  });

  it('refuses a truncated plan file, or one without a fingerprint, before doing anything', async () => {
    const w = await convergeWorld();
    const file = await savePlan(w, () => undefined);
    const text = await readFile(file, 'utf8');
    await writeFile(file, text.slice(0, text.length / 2));
    await expect(applySaved(w, file)).rejects.toMatchObject({
      code: 'E_USAGE',
      shortMessage: `cannot read the plan ${file}`,
    });
    const unsigned = JSON.parse(text);
    delete unsigned.fingerprint;
    await writeFile(file, JSON.stringify(unsigned));
    await expect(applySaved(w, file)).rejects.toMatchObject({
      code: 'E_USAGE',
      shortMessage: expect.stringMatching(/is not a borgops plan/),
    });
    await expect(stat(join(w.paths.hooksDir, 'pre-backup-linkding'))).rejects.toThrow(/ENOENT/);
  });

  it('applies an untouched saved plan', async () => {
    const w = await convergeWorld();
    const file = await savePlan(w, () => undefined);
    const applied = await applySaved(w, file);
    expect(applied.result.errors).toEqual([]);
    expect(await readFile(join(w.paths.hooksDir, 'pre-backup-linkding'), 'utf8')).toContain('pre-backup');
  });
});

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

describe('the saved plan file (plan --out, apply --plan)', () => {
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
      JSON.stringify({ ...plan, actions: [{ ...plan.actions[1], effect: 'explosive' }] }),
    );
    const error = await failure(readSavedPlan(path));
    expect(error.code).toBe('E_USAGE');
    expect(error.shortMessage).toBe(
      `${path} is not a borgops plan (version 1); make a new one with \`borgops plan --out FILE\``,
    );
    expect(error.details).toEqual([expect.stringMatching(/^actions\.0\.effect: /)]);

    await writeFile(path, JSON.stringify({ ...plan, actions: [{ ...plan.actions[0], id: 7 }] }));
    expect((await failure(readSavedPlan(path))).details).toEqual([
      expect.stringMatching(/^actions\.0\.id: /),
    ]);
    await writeFile(path, JSON.stringify({ ...plan, version: 7 }));
    expect((await failure(readSavedPlan(path))).details).toEqual([
      'version: 7, this borgops reads version 1 only',
    ]);
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
