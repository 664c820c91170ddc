// People who know cron write cron where systemd's calendar syntax is expected: say what they meant.

const MACROS: Record<string, string> = {
  '@yearly': 'yearly',
  '@annually': 'yearly',
  '@monthly': 'monthly',
  '@weekly': 'weekly',
  '@daily': 'daily',
  '@midnight': 'daily',
  '@hourly': 'hourly',
};

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const CRON_FIELD = /^[0-9*,/-]+$/;

/** One numeric cron field as systemd writes it: `*`, `1,15`, `1..5`, `0/15`; undefined if it has no equivalent. */
function field(text: string, first: number, pad: number): string | undefined {
  const parts = text.split(',').map((part) => {
    const [range = '', step] = part.split('/');
    if (step !== undefined && !/^[1-9][0-9]*$/.test(step)) return undefined;
    let from: string;
    if (range === '*') from = step === undefined ? '*' : String(first).padStart(pad, '0');
    else if (/^[0-9]+-[0-9]+$/.test(range)) {
      const [a = '', b = ''] = range.split('-');
      from = `${a.padStart(pad, '0')}..${b.padStart(pad, '0')}`;
    } else if (/^[0-9]+$/.test(range)) from = range.padStart(pad, '0');
    else return undefined;
    return step === undefined ? from : `${from}/${step}`;
  });
  return parts.some((part) => part === undefined) ? undefined : parts.join(',');
}

function weekdays(text: string): string | undefined {
  if (text === '*') return '';
  const parts = text.split(',').map((part) => {
    const range = /^([0-7])(?:-([0-7]))?$/.exec(part);
    if (!range) return undefined;
    const from = WEEKDAYS[Number(range[1])];
    return range[2] === undefined ? from : `${from}..${WEEKDAYS[Number(range[2])]}`;
  });
  return parts.some((part) => part === undefined) ? undefined : `${parts.join(',')} `;
}

/** The systemd calendar expression for a cron line or macro, if it is one (`"0 3 * * *"` → `*-*-* 03:00:00`). */
export function cronEquivalent(expression: string): { cron: true; calendar?: string } | undefined {
  const text = expression.trim();
  if (text.startsWith('@')) {
    const macro = MACROS[text.toLowerCase()];
    if (macro !== undefined) return { cron: true, calendar: macro };
    return text.toLowerCase() === '@reboot' ? { cron: true } : undefined;
  }
  const fields = text.split(/\s+/);
  if (fields.length !== 5 || !fields.every((f) => CRON_FIELD.test(f))) return undefined;
  const [minute = '', hour = '', day = '', month = '', weekday = ''] = fields;
  const parts = [
    field(minute, 0, 2),
    field(hour, 0, 2),
    field(day, 1, 2),
    field(month, 1, 2),
    weekdays(weekday),
  ];
  if (parts.some((part) => part === undefined)) return { cron: true };
  const [m, h, d, mo, w] = parts as string[];
  return { cron: true, calendar: `${w}*-${mo}-${d} ${h}:${m}:00` };
}

/** The hint for a calendar systemd refused, when it was written as cron. */
export function cronHint(expression: string, accepts: (calendar: string) => boolean): string | undefined {
  const found = cronEquivalent(expression);
  if (found === undefined) return undefined;
  const what = expression.trim().startsWith('@') ? 'a cron macro' : 'cron syntax';
  if (found.calendar !== undefined && accepts(found.calendar)) {
    return `${JSON.stringify(expression)} is ${what}, not a systemd calendar expression; as a systemd calendar: ${JSON.stringify(found.calendar)}`;
  }
  return `${JSON.stringify(expression)} is ${what}, not a systemd calendar expression (e.g. "*-*-* 03:00:00" for cron's "0 3 * * *", "daily" for "@daily")`;
}
