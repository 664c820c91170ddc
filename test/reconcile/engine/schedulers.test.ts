import { describe, expect, it } from 'vitest';
import { type SchedulerChoice, selectScheduler } from '../../../reconcile/engine/schedulers.js';
import { hostPaths } from '../../../src/host/paths.js';

describe('selectScheduler', () => {
  const temporary = hostPaths('/tmp/borgops-root');
  const slash = hostPaths('/');
  const pick = (choice: SchedulerChoice, root: typeof slash, systemdRunning: boolean) => {
    const set = selectScheduler(choice, root, { systemdRunning });
    return { active: set.active.name, all: Object.keys(set.all).sort(), note: set.note };
  };

  it('picks systemd only where systemd is PID 1 and --root is /, embedded elsewhere', () => {
    expect(pick('auto', slash, true)).toEqual({
      active: 'systemd',
      all: ['embedded', 'systemd'],
      note: undefined,
    });
    expect(pick('auto', slash, false).active).toBe('embedded');
    expect(pick('auto', temporary, true).active).toBe('embedded');
    expect(pick('embedded', slash, true).active).toBe('embedded');
  });

  it('honours --scheduler systemd elsewhere, writing units as files and saying so', () => {
    expect(pick('systemd', temporary, true)).toEqual({
      active: 'systemd',
      all: ['embedded', 'systemd'],
      note: '--root is /tmp/borgops-root: the units are written and enabled as files under it; systemctl is not run',
    });
    expect(pick('systemd', slash, false).note).toBe(
      'systemd is not running here: the units in /etc/systemd/system are written and enabled as files, but nothing starts them until systemd boots',
    );
  });
});
