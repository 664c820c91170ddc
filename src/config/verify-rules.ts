import type { ParsedFile } from './document.js';
import type { Problem } from './problem.js';
import type { Inventory, Verify } from './schema.js';
import { calendarProblems } from './start-at.js';

const CALENDAR_KEYS = ['check', 'verifyData', 'drill'] as const;

/**
 * Every verify calendar systemd would refuse (role-wide, per machine, per destination), at its
 * own line, as checkStartAt does for backups.
 */
export function checkVerifyCalendars(inventory: Inventory, file: ParsedFile): Problem[] {
  const problems: Problem[] = [];
  const check = (path: PropertyKey[], verify: Verify | undefined) => {
    for (const key of CALENDAR_KEYS) {
      const value = verify?.[key];
      if (value !== false) problems.push(...calendarProblems(file, [...path, key], value));
    }
  };
  for (const [instance, declared] of Object.entries(inventory.instances)) {
    const client = declared.roles.client;
    const role = ['instances', instance, 'roles', 'client'];
    const scopes: { path: PropertyKey[]; settings: NonNullable<typeof client>['settings'] }[] = [
      { path: [...role, 'settings'], settings: client?.settings },
      ...Object.entries(client?.machines ?? {}).map(([machine, entry]) => ({
        path: [...role, 'machines', machine, 'settings'],
        settings: entry.settings,
      })),
    ];
    for (const { path, settings } of scopes) {
      check([...path, 'verify'], settings?.verify);
      for (const [name, destination] of Object.entries(settings?.destinations ?? {})) {
        check([...path, 'destinations', name, 'verify'], destination.verify);
      }
    }
  }
  return problems;
}
