/** A clan inventory with one borgbackup instance whose client is jon with `settings`; `roles` adds e.g. a server. */
export function clientInventory(settings: Record<string, unknown>, roles: Record<string, unknown> = {}) {
  return {
    instances: {
      borgbackup: {
        module: { name: 'borgbackup', input: 'clan-core' },
        roles: { client: { machines: { jon: { settings } } }, ...roles },
      },
    },
  };
}

/** Config files of a small fleet for tests: jon backs up two states to local repositories. */
export function localConfig(
  repos: Record<string, string>,
  extra: Record<string, unknown> = {},
): Record<string, string> {
  const destinations = Object.fromEntries(Object.entries(repos).map(([name, repo]) => [name, { repo }]));
  const inventory = clientInventory({ destinations, ...extra });
  return {
    'inventory.json': `${JSON.stringify(inventory, null, 2)}\n`,
    'machines/jon/state.yaml': [
      'state:',
      '  linkding:',
      '    folders: [/var/backup/linkding]',
      '    preBackupScript: |',
      '      echo "pre-backup linkding"',
      '    postRestoreScript: |',
      '      echo "post-restore linkding"',
      '  zerotier:',
      '    folders: [/var/lib/zerotier-one]',
      '',
    ].join('\n'),
  };
}
