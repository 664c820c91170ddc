import { parseCalendar } from '../schedule/calendar.js';
import type { ParsedFile } from './document.js';
import { dottedPath, type Problem } from './problem.js';
import type { Inventory } from './schema.js';

/**
 * Every client startAt that systemd would refuse (role-wide and per machine, a string or each
 * element of a list), at its own line: a bad OnCalendar= otherwise only surfaces when the timer
 * is installed.
 */
export function checkStartAt(inventory: Inventory, file: ParsedFile): Problem[] {
  const problems: Problem[] = [];
  const check = (path: PropertyKey[], startAt: string | string[] | undefined) => {
    const located = typeof startAt === 'string' ? [{ path, expression: startAt }] : [];
    for (const [index, expression] of (Array.isArray(startAt) ? startAt : []).entries()) {
      located.push({ path: [...path, index], expression });
    }
    for (const { path: at, expression } of located) {
      const parsed = parseCalendar(expression);
      if (parsed.ok) continue;
      problems.push({
        file: file.file,
        line: file.lineOf(at, 'value'),
        path: dottedPath(at),
        message: parsed.message,
        severity: 'error',
      });
    }
  };
  for (const [instance, declared] of Object.entries(inventory.instances)) {
    const client = declared.roles.client;
    const role = ['instances', instance, 'roles', 'client'];
    check([...role, 'settings', 'startAt'], client?.settings?.startAt);
    for (const [machine, entry] of Object.entries(client?.machines ?? {})) {
      check([...role, 'machines', machine, 'settings', 'startAt'], entry.settings?.startAt);
    }
  }
  return problems;
}
