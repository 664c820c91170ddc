import type { PreviewReport } from '../../reconcile/preview/model.js';
import { DEFAULT_PREVIEW_SCHEDULER, scheduleRenderers } from '../../reconcile/preview/renderers.js';
import { runPreview } from '../../reconcile/preview/run.js';
import type { TestRepo } from './git.js';

/** The preview of a real git repository, in-process (the e2e tests run the built CLI). */
export async function previewOf(
  repo: TestRepo,
  base: string,
  head: string,
  options: { observed?: string; now?: Date } = {},
): Promise<PreviewReport> {
  return runPreview({
    source: repo.dir,
    base,
    head,
    scheduler: DEFAULT_PREVIEW_SCHEDULER,
    renderSchedule: scheduleRenderers()[DEFAULT_PREVIEW_SCHEDULER]!,
    ...options,
  });
}

/** Config files of a fleet: `jon` (the guide's states) and optionally more machines, all local repositories. */
export function fleetConfig(
  options: {
    machines?: string[];
    clientSettings?: Record<string, unknown>;
    machineSettings?: Record<string, Record<string, unknown>>;
    states?: Record<string, string>;
  } = {},
): Record<string, string> {
  const machines = options.machines ?? ['jon'];
  const entries = Object.fromEntries(
    machines.map((machine) => [
      machine,
      {
        settings: {
          destinations: { storagebox: { repo: `/srv/borg/${machine}` } },
          ...options.machineSettings?.[machine],
        },
      },
    ]),
  );
  const inventory = {
    instances: {
      borgbackup: {
        module: { name: 'borgbackup', input: 'clan-core' },
        roles: { client: { settings: options.clientSettings ?? {}, machines: entries } },
      },
    },
  };
  const files: Record<string, string> = { 'inventory.json': `${JSON.stringify(inventory, null, 2)}\n` };
  for (const machine of machines) {
    files[`machines/${machine}/state.yaml`] =
      options.states?.[machine] ??
      [
        'state:',
        '  linkding:',
        '    folders: [/var/backup/linkding]',
        '    preBackupScript: |',
        '      systemctl stop podman-linkding',
        '      rsync -a /data/podman/linkding/ /var/backup/linkding/',
        '      systemctl start podman-linkding',
        '  zerotier:',
        '    folders: [/var/lib/zerotier-one]',
        '    preBackupScript: |',
        '      echo "zerotier"',
        '',
      ].join('\n');
  }
  return files;
}
