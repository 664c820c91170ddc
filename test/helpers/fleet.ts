/** Config files of a small fleet for tests: jon backs up two states to local repositories. */
export function localConfig(
  repos: Record<string, string>,
  extra: Record<string, unknown> = {},
): Record<string, string> {
  const destinations = Object.fromEntries(Object.entries(repos).map(([name, repo]) => [name, { repo }]));
  const inventory = {
    instances: {
      borgbackup: {
        module: { name: 'borgbackup', input: 'clan-core' },
        roles: { client: { machines: { jon: { settings: { destinations, ...extra } } } } },
      },
    },
  };
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
