import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makePlan } from '../../reconcile/engine/converge.js';
import { resolveSchedulerChoice } from '../../reconcile/engine/schedulers.js';
import { createBorg } from '../../src/borg/adapter.js';
import { hostPaths } from '../../src/host/paths.js';
import { type Logger, silentLogger } from '../../src/log.js';
import { borgops } from '../helpers/cli.js';
import { clientInventory, localConfig } from '../helpers/fleet.js';
import { gitRepo } from '../helpers/git.js';
import { fleetConfig } from '../helpers/preview.js';
import { tempDir } from '../helpers/temp.js';

/** A config repository whose client role declares `settings` (role-wide), jon backing up to one local repository. */
async function declared(
  roleSettings: Record<string, unknown>,
  machineSettings: Record<string, unknown> = {},
) {
  const base = await tempDir('borgops-scheduler-');
  const repos = join(base, 'repos');
  await mkdir(repos);
  const files = localConfig({ local: join(repos, 'local') }, machineSettings);
  const inventory = clientInventory(
    {},
    {
      client: {
        settings: roleSettings,
        machines: {
          jon: { settings: { destinations: { local: { repo: join(repos, 'local') } }, ...machineSettings } },
        },
      },
    },
  );
  const text = `${JSON.stringify(inventory, null, 2)}\n`;
  const repo = await gitRepo({ ...files, 'inventory.json': text });
  const root = join(base, 'root');
  const schedulerLine = text.split('\n').findIndex((line) => line.includes('"scheduler"')) + 1;
  return {
    base,
    repo,
    root,
    schedulerLine,
    common: ['--source', repo.dir, '--machine', 'jon', '--root', root],
  };
}

describe('the declared scheduler setting (issue 22)', () => {
  it('the flag wins over the declaration, the declaration over auto; a differing flag carries a warning', () => {
    expect(resolveSchedulerChoice(undefined, undefined)).toEqual({ choice: 'auto' });
    expect(resolveSchedulerChoice(undefined, 'embedded')).toEqual({ choice: 'embedded' });
    expect(resolveSchedulerChoice('embedded', 'embedded')).toEqual({ choice: 'embedded' });
    const { choice, override } = resolveSchedulerChoice('systemd', 'embedded');
    expect(choice).toBe('systemd');
    expect(override).toContain(
      '--scheduler systemd overrides the declared scheduler "embedded" for this run only',
    );
  });

  it('plan without --scheduler plans the declared embedded table where auto would pick systemd', async () => {
    // root / with systemd "running" (a recorder, never called by a plan): auto picks systemd here
    const { base, repo } = await declared({ scheduler: 'embedded' });
    const stateDir = join(base, 'state');
    const calls: string[][] = [];
    const options = {
      source: repo.dir,
      ref: 'HEAD',
      worktree: false,
      machine: 'jon',
      root: '/',
      stateDir,
      paths: hostPaths('/', stateDir),
      refresh: false,
      logger: silentLogger(),
      borg: createBorg({
        env: { ...process.env, BORG_BASE_DIR: join(stateDir, 'borg') },
        logger: silentLogger(),
      }),
      schedulerHost: {
        systemdRunning: true,
        systemctl: {
          run: async (args: readonly string[]) => void calls.push([...args]),
          isActive: async () => false,
        },
      },
    };
    const planned = await makePlan(options);
    expect(planned.plan.scheduler).toBe('embedded');
    expect(planned.plan.actions.find((a) => a.id === 'schedule/local')?.summary).toContain('embedded');

    // the same host with the setting removed: auto, so systemd
    await repo.commit({
      'inventory.json': `${JSON.stringify(
        clientInventory({ destinations: { local: { repo: join(base, 'repos', 'local') } } }),
        null,
        2,
      )}\n`,
    });
    expect((await makePlan(options)).plan.scheduler).toBe('systemd');

    // --scheduler systemd over a declared embedded: used for this run, with a warning logged
    await repo.commit({
      'inventory.json': `${JSON.stringify(
        clientInventory({
          destinations: { local: { repo: join(base, 'repos', 'local') } },
          scheduler: 'embedded',
        }),
        null,
        2,
      )}\n`,
    });
    const warnings: string[] = [];
    const logger = { ...silentLogger(), warn: (_: unknown, message: string) => void warnings.push(message) };
    const overridden = await makePlan({
      ...options,
      scheduler: 'systemd',
      logger: logger as unknown as Logger,
    });
    expect(overridden.plan.scheduler).toBe('systemd');
    expect(warnings).toEqual([
      expect.stringContaining('--scheduler systemd overrides the declared scheduler "embedded"'),
    ]);
    expect(calls).toEqual([]);
  });

  it('built CLI: plan honours a machine-level declaration, warns when --scheduler overrides it', async () => {
    const { common } = await declared({ scheduler: 'embedded' }, { scheduler: 'systemd' });
    // machine settings over role settings, as every client setting merges
    const plan = await borgops(['plan', ...common]);
    expect(plan.exitCode, plan.stderr).toBe(2);
    expect(plan.stdout).toMatch(/^borgops plan for jon at [0-9a-f]{12} \(scheduler systemd, /);
    expect(plan.stderr).not.toContain('overrides');

    const flagged = await borgops(['plan', ...common, '--scheduler', 'embedded']);
    expect(flagged.exitCode, flagged.stderr).toBe(2);
    expect(flagged.stdout).toMatch(/^borgops plan for jon at [0-9a-f]{12} \(scheduler embedded, /);
    // logged at warn (stderr, JSON lines when not a terminal), and said in the plan's notes
    expect(flagged.stderr).toContain('"level":40');
    expect(flagged.stderr).toContain('--scheduler embedded overrides the declared scheduler');
    expect(flagged.stdout).toContain('--scheduler embedded overrides the declared scheduler "systemd"');

    // apply takes the same path: the declared systemd units are written under --root
    const applied = await borgops(['apply', ...common]);
    expect(applied.exitCode, applied.stdout + applied.stderr).toBe(0);
    expect(applied.stderr).not.toContain('overrides');
    const again = await borgops(['plan', ...common, '--json']);
    expect(JSON.parse(again.stdout)).toMatchObject({ scheduler: 'systemd', actions: [] });
  });

  it('an unknown scheduler is a validate error naming the file, line and field', async () => {
    const { common, schedulerLine } = await declared({ scheduler: 'cron' });
    const result = await borgops(['validate', common[0]!, common[1]!]);
    expect(result.exitCode).toBe(1);
    expect(result.stdout + result.stderr).toContain(
      `inventory.json:${schedulerLine}: instances.borgbackup.roles.client.settings.scheduler: must be one of "auto", "systemd", "embedded"; got "cron"`,
    );
  });

  it('preview shows each machine with its declared backend; --scheduler overrides with a warning', async () => {
    const repo = await gitRepo(
      fleetConfig({ machines: ['jon', 'sara'], machineSettings: { jon: { scheduler: 'embedded' } } }),
    );
    const base = (await repo.git.revparse(['HEAD'])).trim();
    const head = await repo.commit({
      ...fleetConfig({
        machines: ['jon', 'sara'],
        clientSettings: { startAt: '*-*-* 03:00:00' },
        machineSettings: { jon: { scheduler: 'embedded' } },
      }),
    });
    const files = (
      report: { machines: { machine: string; changes: { files: { path: string }[] }[] }[] },
      m: string,
    ) =>
      report.machines.find((x) => x.machine === m)?.changes.flatMap((c) => c.files.map((f) => f.path)) ?? [];

    const preview = ['preview', '--source', repo.dir, '--base', base, '--head', head, '--json'];
    const declaredRun = await borgops(preview);
    expect(declaredRun.exitCode, declaredRun.stderr).toBe(2);
    const report = JSON.parse(declaredRun.stdout);
    expect(report.scheduler).toBe('systemd');
    expect(report.machines.find((m: { machine: string }) => m.machine === 'jon').scheduler).toBe('embedded');
    expect(files(report, 'jon')).toEqual(['/var/lib/borgops/schedule.json#storagebox']);
    expect(files(report, 'jon').some((f) => f.endsWith('.timer'))).toBe(false);
    expect(files(report, 'sara')).toContain('/etc/systemd/system/borgbackup-job-storagebox.timer');
    expect(declaredRun.stderr).toBe('');

    const flagged = await borgops([...preview, '--scheduler', 'systemd']);
    expect(flagged.exitCode, flagged.stderr).toBe(2);
    expect(files(JSON.parse(flagged.stdout), 'jon')).toContain(
      '/etc/systemd/system/borgbackup-job-storagebox.timer',
    );
    expect(flagged.stderr).toBe(
      'warning: --scheduler systemd overrides the declared scheduler "embedded" of jon for this preview\n',
    );
  });
});
