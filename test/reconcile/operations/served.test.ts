import { mkdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { healthReport } from '../../../reconcile/operations/health.js';
import { servedHealth } from '../../../reconcile/operations/served.js';
import { renderMetrics } from '../../../reconcile/render/metrics.js';
import { compile } from '../../../src/desired/compile.js';
import { hostPaths } from '../../../src/host/paths.js';
import { declarationsOf } from '../../helpers/declarations.js';
import { tempDir } from '../../helpers/temp.js';

const declarations = declarationsOf({
  'inventory.json': {
    machines: { nas: {}, jon: {}, sara: {} },
    instances: {
      main: {
        module: { name: 'borgbackup' },
        roles: {
          server: {
            machines: { nas: { settings: { address: 'nas', directory: '/srv/borg', quota: '2M' } } },
          },
          client: {
            settings: { maxAge: '1d' },
            machines: { jon: {}, sara: { settings: { maxAge: '2h' } } },
          },
        },
      },
    },
  },
  'machines/jon/state.json': { state: { app: { folders: ['/srv/app'] } } },
  'machines/sara/state.json': { state: { db: { folders: ['/srv/db'] } } },
});
const desired = compile(declarations, 'nas');

async function world() {
  const root = await tempDir();
  const paths = hostPaths(root);
  for (const client of ['jon', 'sara']) await mkdir(join(root, 'srv/borg', client), { recursive: true });
  return { root, paths };
}

async function segment(root: string, client: string, name: string, size: number, at: Date) {
  const dir = join(root, 'srv/borg', client, 'data', '0');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, name), Buffer.alloc(size));
  await utimes(join(dir, name), at, at);
}

describe('servedHealth: each client measured against its own maxAge, from the same commit', () => {
  it('finds each client stale or fresh by its newest write', async () => {
    const { root, paths } = await world();
    const now = new Date();
    await segment(root, 'jon', '1', 10, new Date(now.getTime() - 3 * 3600_000));
    await segment(root, 'sara', '1', 10, new Date(now.getTime() - 3 * 3600_000));
    const served = await servedHealth({
      paths,
      server: 'nas',
      declarations,
      served: desired.served,
      now,
      record: false,
    });
    expect(served.map((s) => [s.client, s.maxAgeSeconds, s.stale])).toEqual([
      ['jon', 86_400, false],
      ['sara', 7200, true],
    ]);
    expect(served[0]).toMatchObject({ quota: '2M', quotaBytes: 2_000_000, bytes: 10 });
  });

  it('records observations and reports a shrink between two of them', async () => {
    const { root, paths } = await world();
    const now = new Date();
    await segment(root, 'jon', '1', 5000, now);
    const input = { paths, server: 'nas', declarations, served: desired.served, now, record: true };
    expect((await servedHealth(input))[0]).toMatchObject({ shrunk: false });
    await writeFile(join(root, 'srv/borg/jon/data/0/1'), Buffer.alloc(1000));
    const after = (await servedHealth(input))[0];
    expect(after).toMatchObject({ growthBytes: -4000, shrunk: true });
    const metrics = renderMetrics(
      healthReport({
        machine: 'nas',
        status: { version: 1 },
        runs: { version: 1, destinations: {} },
        destinations: [],
        now,
        served: [after!],
      }),
      { reconciles: {} },
    );
    expect(metrics).toContain('borgops_served_shrunk{machine="nas",instance="main",client="jon"} 1');
    expect(metrics).toContain(
      'borgops_served_growth_bytes{machine="nas",instance="main",client="jon"} -4000',
    );
  });

  it('refuses a served.json of the wrong shape by name instead of resetting it', async () => {
    const { paths } = await world();
    await mkdir(paths.stateDir, { recursive: true });
    await writeFile(paths.served, '{"version": 7}');
    await expect(
      servedHealth({
        paths,
        server: 'nas',
        declarations,
        served: desired.served,
        now: new Date(),
        record: true,
      }),
    ).rejects.toThrow(`${paths.served} is not a borgops served-repository history (version 1); move it away`);
  });
});

describe('healthReport on a server', () => {
  const base = {
    machine: 'nas',
    runs: { version: 1 as const, destinations: {} },
    destinations: [],
    now: new Date('2026-11-30T12:00:00Z'),
  };
  const status = { version: 1 as const, appliedCommit: 'a'.repeat(40), appliedAt: '2026-11-30T11:00:00Z' };
  const client = {
    instance: 'main',
    client: 'sara',
    path: '/srv/borg/sara',
    appendOnly: true,
    initialized: true,
    bytes: 1,
    shrunk: false,
    maxAgeSeconds: 7200,
  };

  it('is not Ready with ClientStale naming each quiet client', () => {
    const report = healthReport({
      ...base,
      status,
      served: [{ ...client, lastWrite: '2026-11-30T08:00:00Z', stale: true }],
    });
    expect(report.conditions[0]).toEqual({
      type: 'Ready',
      status: false,
      reason: 'ClientStale',
      message: 'served sara (main): last write 4h ago (maxAge 2h)',
    });
  });

  it('is Ready when every served client wrote within maxAge, and says so', () => {
    const report = healthReport({ ...base, status, served: [{ ...client, stale: false }] });
    expect(report.conditions[0]).toMatchObject({ status: true, reason: 'Fresh' });
    expect(report.conditions[0]?.message).toContain('every served client wrote within maxAge');
  });

  it('keeps a stalled reconcile as the stronger reason', () => {
    const report = healthReport({
      ...base,
      status: {
        ...status,
        failedCommit: { commit: 'b'.repeat(40), reason: 'InvalidDeclarations', message: 'x' },
      },
      served: [{ ...client, stale: true }],
    });
    expect(report.conditions[0]?.reason).toBe('InvalidDeclarations');
  });
});
