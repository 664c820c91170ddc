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
  for (const client of clients) {
    if (client.staggerSeconds <= 0) continue;
    if (client.startAt.some((expression) => !parseCalendar(expression).ok)) continue;
    const shifted = shiftCalendars(client.startAt, client.staggerSeconds - 1);
    if (shifted.ok) continue;
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
