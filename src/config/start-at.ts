import { parseCalendar, shiftCalendars } from '../schedule/calendar.js';
import type { ParsedFile } from './document.js';
import type { ClientConfig } from './model.js';
import { dottedPath, type Problem } from './problem.js';
import type { Inventory } from './schema.js';

/**
 * The stagger is added into the calendar (see schedule/calendar-shift.ts); a declaration whose
 * largest stagger would move a run past midnight onto days systemd's syntax cannot name is
 * refused here, where it is written, rather than when its timer is installed. Checking the
 * largest delay of the window suffices: a smaller one moves across fewer days.
 */
export function checkStagger(
  inventory: Inventory,
  clients: readonly ClientConfig[],
  file: ParsedFile,
): Problem[] {
  const problems: Problem[] = [];
  const reported = new Set<string>();
  // a fleet shares a few start times and staggers (the role's): each pair is shifted once
  const shifts = new Map<string, ReturnType<typeof shiftCalendars> | undefined>();
  const shift = (client: ClientConfig) => {
    const key = JSON.stringify([client.startAt, client.staggerSeconds]);
    if (!shifts.has(key)) {
      const parses = client.startAt.every((expression) => parseCalendar(expression).ok);
      shifts.set(key, parses ? shiftCalendars(client.startAt, client.staggerSeconds - 1) : undefined);
    }
    return shifts.get(key);
  };
  for (const client of clients) {
    if (client.staggerSeconds <= 0) continue;
    const shifted = shift(client);
    if (shifted === undefined || shifted.ok) continue;
    const role = ['instances', client.instance, 'roles', 'client'];
    const machinePath = [...role, 'machines', client.machine, 'settings', 'stagger'];
    const declared = inventory.instances[client.instance]?.roles.client?.machines?.[client.machine]?.settings;
    const path = declared?.stagger !== undefined ? machinePath : [...role, 'settings', 'stagger'];
    const window = declared?.stagger ?? inventory.instances[client.instance]?.roles.client?.settings?.stagger;
    const message = `a stagger of up to ${window} can move ${JSON.stringify(shifted.expression)} past midnight onto days that systemd's calendar syntax cannot name (${shifted.reason}); use a smaller stagger or an earlier time`;
    const key = `${dottedPath(path)}\0${message}`;
    if (reported.has(key)) continue;
    reported.add(key);
    problems.push({
      file: file.file,
      line: file.lineOf(path, 'value'),
      path: dottedPath(path),
      message,
      severity: 'error',
    });
  }
  return problems;
}
