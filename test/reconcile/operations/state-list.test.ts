import { describe, expect, it } from 'vitest';
import { formatStates, selectService } from '../../../reconcile/operations/state-list.js';

// clan_cli's `state list`: sorted services, folders only when there are some, a blank line after each.
describe('state list text', () => {
  it("prints clan's bytes: a blank line after every service, no folders line for none", () => {
    const text = formatStates([
      { name: 'db', folders: [], preBackupCommand: 'pre-backup-db', postBackupCommand: 'post-backup-db' },
      { name: 'zerotier', folders: ['/var/lib/zerotier-one', '/etc/zt'] },
    ]);
    expect(text).toBe(
      '· service: db\n  preBackupCommand: pre-backup-db\n  postBackupCommand: post-backup-db\n\n' +
        '· service: zerotier\n  folders:\n  - /var/lib/zerotier-one\n  - /etc/zt\n\n',
    );
    expect(formatStates([])).toBe('');
  });

  it('--service keeps one state and refuses one the machine does not have', () => {
    const states = [
      { name: 'db', folders: ['/srv/db'] },
      { name: 'web', folders: ['/srv/web'] },
    ];
    expect(selectService(states, 'jon', 'web')).toEqual([{ name: 'web', folders: ['/srv/web'] }]);
    expect(() => selectService(states, 'jon', 'mail')).toThrow(
      "Service mail isn't configured for this machine: jon has the states db, web",
    );
  });
});
