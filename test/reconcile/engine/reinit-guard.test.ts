import { access, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makePlan } from '../../../reconcile/engine/converge.js';
import { BorgopsError } from '../../../src/errors.js';
import { type ConvergeWorld, convergeWorld } from '../../helpers/converge.js';
import { tempDir } from '../../helpers/temp.js';

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** Follows borgops's advice for a corrupt ledger (move it away), and the repository is gone (an unmounted disk). */
async function loseLedgerAndRepository(w: ConvergeWorld): Promise<void> {
  await rename(w.paths.ledger, `${w.paths.ledger}.corrupt`);
  await rm(join(w.repos, 'local'), { recursive: true });
}

async function expectReinitRefused(w: ConvergeWorld, evidence: RegExp): Promise<void> {
  const planned = await makePlan(w.options);
  expect(planned.plan.refusals.map((r) => [r.guard, r.id])).toEqual([['reinit', 'repository/local']]);
  expect(planned.plan.refusals[0]?.message).toMatch(evidence);
  const error = await w.apply().catch((e: unknown) => e);
  expect(error).toBeInstanceOf(BorgopsError);
  expect((error as BorgopsError).code).toBe('E_GUARD');
  expect(await exists(join(w.repos, 'local'))).toBe(false);
}

describe('the re-init guard does not trust the ledger alone (real borg)', () => {
  it('ledger moved away, repository missing: the generated passphrase and the key export block a silent re-init', async () => {
    const w = await convergeWorld();
    expect((await w.apply()).result.errors).toEqual([]);
    const exported = await readFile(join(w.paths.secretsDir, 'local.key'), 'utf8');
    await loseLedgerAndRepository(w);
    await expectReinitRefused(w, /local\.key|local\.passphrase/);
    // the old key export is untouched
    expect(await readFile(join(w.paths.secretsDir, 'local.key'), 'utf8')).toBe(exported);
    // --allow-reinit is the way through, and the old export is kept under its repository id
    expect((await w.apply(['reinit'])).result.errors).toEqual([]);
    expect(await exists(join(w.repos, 'local'))).toBe(true);
  });

  it('a destination moved to a new disk: worded as a new repository for an existing destination, still refused', async () => {
    const w = await convergeWorld();
    expect((await w.apply()).result.errors).toEqual([]);
    const moved = join(w.repos, 'new-disk');
    const inventory = await readFile(join(w.repo.dir, 'inventory.json'), 'utf8');
    await w.repo.commit({ 'inventory.json': inventory.replace(join(w.repos, 'local'), moved) });
    const planned = await makePlan({ ...w.options, refresh: true });
    expect(planned.plan.refusals.map((r) => [r.guard, r.id])).toEqual([['reinit', 'repository/local']]);
    const message = planned.plan.refusals[0]?.message ?? '';
    expect(message).toContain(`a new repository ${moved} for the existing destination local`);
    expect(message).toContain('borgops initialized this destination before');
    expect(message).not.toMatch(/existed before|is missing/);
    await expect(w.apply()).rejects.toThrow(/refused by 1 safety guard/);
    expect(await exists(moved)).toBe(false);
  });

  it('only the passphrase is left (key export gone too): still refused', async () => {
    const w = await convergeWorld();
    expect((await w.apply()).result.errors).toEqual([]);
    await rm(join(w.paths.secretsDir, 'local.key'));
    await loseLedgerAndRepository(w);
    await expectReinitRefused(w, /local\.passphrase/);
  });

  it('a passCommand destination (no local passphrase): the key export blocks it, and so does a recorded backup in runs.json', async () => {
    const pass = join(await tempDir('borgops-pass-'), 'pass');
    await writeFile(pass, 'a-pass-command-passphrase\n');
    const w = await convergeWorld({ encryption: { passCommand: `cat ${pass}` } });
    expect((await w.apply()).result.errors).toEqual([]);
    await loseLedgerAndRepository(w);
    await expectReinitRefused(w, /local\.key/);

    await rm(join(w.paths.secretsDir, 'local.key'));
    await writeFile(
      w.paths.runs,
      JSON.stringify({
        version: 1,
        destinations: { local: { lastAttempt: '2026-03-01T01:00:00Z', lastSuccess: '2026-03-01T01:00:00Z' } },
      }),
    );
    await expectReinitRefused(w, /runs\.json/);
  });

  it('controls: a first apply initializes; a first init that failed after the passphrase was generated is retried', async () => {
    const w = await convergeWorld();
    // the repository's parent is missing (a disk not mounted yet): borg init fails after secret/local was made
    await rm(w.repos, { recursive: true });
    const first = await w.apply();
    expect(first.result.errors.map((e) => e.id)).toContain('repository/local');
    expect(await exists(join(w.paths.secretsDir, 'local.passphrase'))).toBe(true);
    await mkdir(w.repos);
    const second = await w.apply();
    expect(second.result.errors).toEqual([]);
    expect(await exists(join(w.repos, 'local'))).toBe(true);
  });
});
