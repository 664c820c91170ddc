import { describe, expect, it } from 'vitest';
import { loadDeclarations } from '../../../src/config/load.js';
import { formatProblem } from '../../../src/config/problem.js';

/** A valid inventory; each case replaces one line or file. Line numbers below refer to this text. */
const inventory = `{
  "instances": {
    "borgbackup": {
      "module": { "name": "borgbackup" },
      "roles": {
        "client": {
          "machines": {
            "jon": {
              "settings": {
                "destinations": {
                  "storagebox": { "repo": "/srv/borg/storagebox" }
                }
              }
            }
          }
        }
      }
    }
  }
}
`;

const state = `state:
  linkding:
    folders:
      - /var/backup/linkding
    preBackupScript: |
      echo hi
`;

function edit(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`test setup: "${from}" not in text`);
  return text.replace(from, to);
}

function run(files: Record<string, string>): string[] {
  const map = new Map(Object.entries(files));
  return loadDeclarations(map).problems.map(formatProblem);
}

const base = { 'inventory.json': inventory, 'machines/jon/state.yaml': state };

interface Case {
  name: string;
  files: Record<string, string>;
  expected: string[];
}

const dest = '"storagebox": { "repo": "/srv/borg/storagebox" }';
/** What every refused startAt lists (src/schedule/calendar-spec.ts). */
const calendarForms =
  'accepted: a shorthand (minutely, hourly, daily, weekly, monthly, quarterly, semiannually, yearly) or ' +
  '[WEEKDAYS] [[YEAR-]MONTH-DAY] [HH:MM[:SS]] [UTC|Area/City], where WEEKDAYS is a list or range such as ' +
  'Mon..Fri or Sat,Sun, each date and time field is *, a number, a list (1,15), a range (1..5) or a ' +
  'repetition (0/15, 1..31/3), and MONTH~DAY counts days back from the end of the month; ' +
  'e.g. "*-*-* 01:00:00", "Mon..Fri 02:30", "*-*-1,15 04:00", "*:0/15"';
const client = 'instances.borgbackup.roles.client.machines.jon';

const cases: Case[] = [
  {
    name: 'unknown key with a near match',
    files: { ...base, 'inventory.json': edit(inventory, '"destinations": {', '"destination": {') },
    expected: [
      `inventory.json:10: ${client}.settings.destination: unknown key "destination"; did you mean "destinations"? (accepted: destinations, exclude, startAt, stagger, maxAge, encryption, compression, prune, lockWait, verify, notify, scheduler)`,
    ],
  },
  {
    name: 'unknown key without a near match',
    files: {
      ...base,
      'inventory.json': edit(inventory, dest, `${dest}, "x": { "repo": "/r", "colour": "red" }`),
    },
    expected: [
      `inventory.json:11: ${client}.settings.destinations.x.colour: unknown key "colour" (accepted: name, repo, rsh, knownHosts, verify)`,
    ],
  },
  {
    name: 'wrong type: number for a string',
    files: { ...base, 'inventory.json': edit(inventory, '"/srv/borg/storagebox"', '42') },
    expected: [
      `inventory.json:11: ${client}.settings.destinations.storagebox.repo: must be a string, not a number`,
    ],
  },
  {
    name: 'missing required key',
    files: {
      ...base,
      'inventory.json': edit(inventory, '{ "repo": "/srv/borg/storagebox" }', '{ "rsh": "ssh" }'),
    },
    expected: [`inventory.json:11: ${client}.settings.destinations.storagebox.repo: is required (a string)`],
  },
  {
    name: 'missing instances',
    files: { ...base, 'inventory.json': '{\n  "machines": {}\n}\n' },
    expected: ['inventory.json:1: instances: is required (an object)'],
  },
  {
    name: 'misspelled module name',
    files: { ...base, 'inventory.json': edit(inventory, '"name": "borgbackup"', '"name": "borgbakup"') },
    expected: [
      'inventory.json:4: instances.borgbackup.module.name: unknown module "borgbakup"; did you mean "borgbackup"? (accepted: "borgbackup", "@clan/borgbackup"; instances of other modules are ignored)',
    ],
  },
  {
    name: "another module's instance is set aside, roles and all",
    files: {
      ...base,
      'inventory.json': edit(
        edit(inventory, '"name": "borgbackup"', '"name": "borgmatic"'),
        '"client": {',
        '"controller": { "tags": { "all": { "settings": { "x": 1 } } } },\n        "client": {',
      ),
    },
    expected: [
      'machines/jon/state.yaml:1: state: warning: machine "jon" has states but is not a client of any borgbackup instance; nothing backs them up',
    ],
  },
  {
    name: 'null is unset at a key borgops reads, and a misspelled key stays an error when null',
    files: {
      ...base,
      'inventory.json': edit(
        edit(inventory, dest, dest.replace(' }', ', "rsh": null, "name": null }')),
        '"destinations": {',
        '"exlcude": null, "startAt": null, "destinations": {',
      ),
    },
    expected: [
      `inventory.json:10: ${client}.settings.exlcude: unknown key "exlcude"; did you mean "exclude"? (accepted: destinations, exclude, startAt, stagger, maxAge, encryption, compression, prune, lockWait, verify, notify, scheduler)`,
    ],
  },
  {
    name: 'a misspelled clan key near a borgops key',
    files: {
      ...base,
      'inventory.json': edit(inventory, '"client": {', '"client": {\n          "tag": ["backup"],'),
    },
    expected: [
      'inventory.json:7: instances.borgbackup.roles.client.tag: unknown key "tag"; did you mean "tags"? (accepted: settings, machines, tags, extraModules)',
    ],
  },
  {
    name: "a misspelled key in a tag's entry, as nix eval prints tags",
    files: {
      ...base,
      'inventory.json': edit(
        inventory,
        '"client": {',
        '"client": {\n          "tags": { "backup": { "setings": {} } },',
      ),
    },
    expected: [
      'inventory.json:7: instances.borgbackup.roles.client.tags.backup.setings: unknown key "setings"; did you mean "settings"? (accepted: settings)',
    ],
  },
  {
    name: 'a role tag no machine has (warning, as clan)',
    files: {
      ...base,
      'inventory.json': edit(inventory, '"client": {', '"client": {\n          "tags": ["backup"],'),
    },
    expected: [
      'inventory.json:7: instances.borgbackup.roles.client.tags.0: warning: no machine has the tag "backup" (clan: machines.<name>.tags, or "all")',
    ],
  },
  {
    name: "clan.core.state's name and commands that disagree with what borgops derives",
    files: {
      ...base,
      'machines/jon/state.yaml': `linkding:
  name: link
  folders: [/var/backup/linkding]
  preBackupScript: echo hi
  preBackupCommand: pre-backup-link
  postBackupCommand: post-backup-linkding
  preRestoreCommand: null
`,
    },
    expected: [
      'machines/jon/state.yaml:2: linkding.name: name "link" differs from the state\'s key "linkding"; borgops names a state by its key (its commands, restore --service, state list): rename the key or drop name',
      'machines/jon/state.yaml:5: linkding.preBackupCommand: preBackupCommand "pre-backup-link" is not "pre-backup-linkding", the read-only name clan and borgops derive from the state\'s key',
      'machines/jon/state.yaml:6: linkding.postBackupCommand: postBackupCommand is clan\'s read-only name of the post-backup command, set only when postBackupScript is; did you mean "postBackupScript"?',
    ],
  },
  {
    name: 'a bare state map: problems located in it',
    files: {
      'inventory.json': inventory,
      'machines/jon/state.json': '{\n  "db": {\n    "folder": ["/srv/db"]\n  }\n}\n',
    },
    expected: [
      'machines/jon/state.json:3: db.folder: unknown key "folder"; did you mean "folders"? (accepted: folders, preBackupScript, postBackupScript, preRestoreScript, postRestoreScript, verifyScript, name, preBackupCommand, postBackupCommand, preRestoreCommand, postRestoreCommand)',
    ],
  },
  {
    name: 'unsafe destination name',
    files: { ...base, 'inventory.json': edit(inventory, '"storagebox": {', '"storage box": {') },
    expected: [
      `inventory.json:11: ${client}.settings.destinations."storage box": destination name "storage box" is not safe in file, unit and archive names: use letters, digits, ".", "_" and "-", starting with a letter or digit, at most 64 characters`,
    ],
  },
  {
    name: 'unsafe machine name',
    files: {
      'inventory.json': edit(inventory, '"jon": {', '"../jon": {'),
      'machines/jon/state.yaml': state,
    },
    expected: [
      `inventory.json:8: instances.borgbackup.roles.client.machines."../jon": machine name "../jon" is not safe in file, unit and archive names: use letters, digits, ".", "_" and "-", starting with a letter or digit, at most 64 characters`,
      'machines/jon/state.yaml:1: state: warning: machine "jon" has states but is not a client of any borgbackup instance; nothing backs them up',
    ],
  },
  {
    name: 'unsafe state name',
    files: { ...base, 'machines/jon/state.yaml': edit(state, '  linkding:', '  -link:') },
    expected: [
      'machines/jon/state.yaml:2: state.-link: state name "-link" is not safe in file, unit and archive names: use letters, digits, ".", "_" and "-", starting with a letter or digit, at most 64 characters',
    ],
  },
  {
    name: 'relative folder',
    files: {
      ...base,
      'machines/jon/state.yaml': edit(state, '- /var/backup/linkding', '- var/backup/linkding'),
    },
    expected: [
      'machines/jon/state.yaml:4: state.linkding.folders.0: must be an absolute path (starting with "/")',
    ],
  },
  {
    name: 'folder with ..',
    files: { ...base, 'machines/jon/state.yaml': edit(state, '- /var/backup/linkding', '- /var/../etc') },
    expected: ['machines/jon/state.yaml:4: state.linkding.folders.0: must not contain ".." segments'],
  },
  {
    name: 'folders not a list',
    files: {
      ...base,
      'machines/jon/state.yaml': edit(
        state,
        'folders:\n      - /var/backup/linkding',
        'folders: /var/backup/linkding',
      ),
    },
    expected: ['machines/jon/state.yaml:3: state.linkding.folders: must be a list, not a string'],
  },
  {
    name: 'unknown script key in YAML with near match',
    files: { ...base, 'machines/jon/state.yaml': edit(state, 'preBackupScript', 'preBackupCommand') },
    expected: [
      'machines/jon/state.yaml:5: state.linkding.preBackupCommand: preBackupCommand is clan\'s read-only name of the pre-backup command, set only when preBackupScript is; did you mean "preBackupScript"?',
    ],
  },
  {
    name: 'bad compression',
    files: {
      ...base,
      'inventory.json': edit(inventory, '"destinations": {', '"compression": "gzip,9", "destinations": {'),
    },
    expected: [
      `inventory.json:10: ${client}.settings.compression: must be none, or [auto,]lz4, [auto,]zstd[,1-22], [auto,]zlib[,0-9] or [auto,]lzma[,0-9]`,
    ],
  },
  {
    name: 'bad encryption mode',
    files: {
      ...base,
      'inventory.json': edit(
        inventory,
        '"destinations": {',
        '"encryption": { "mode": "aes" }, "destinations": {',
      ),
    },
    expected: [
      `inventory.json:10: ${client}.settings.encryption.mode: must be one of "repokey", "repokey-blake2", "keyfile", "keyfile-blake2", "authenticated", "authenticated-blake2", "none"; got "aes"`,
    ],
  },
  {
    name: 'bad keep-within and a zero daily',
    files: {
      ...base,
      'inventory.json': edit(
        inventory,
        '"destinations": {',
        '"prune": { "keep": { "within": "2 days", "daily": 0 } }, "destinations": {',
      ),
    },
    expected: [
      `inventory.json:10: ${client}.settings.prune.keep.daily: must be a positive whole number, or -1 to keep one archive of every period`,
      `inventory.json:10: ${client}.settings.prune.keep.within: must be borg's --keep-within interval: a positive integer followed by H (hours), d, w, m (months) or y, e.g. "1d"`,
    ],
  },
  {
    name: 'durations: keep.within in borg grammar says so; our durations give the near form; lockWait takes one',
    files: {
      ...base,
      'inventory.json': edit(
        inventory,
        '"destinations": {',
        '"prune": { "keep": { "within": "2h" } }, "stagger": "5min", "maxAge": "2 hours", "lockWait": "2m", "destinations": {',
      ),
    },
    expected: [
      `inventory.json:10: ${client}.settings.maxAge: must be a duration: 0 or a positive integer followed by s, m, h, d or w (e.g. "30s", "5m", "2h", "1d", "1w"); did you mean "2h"?`,
      `inventory.json:10: ${client}.settings.prune.keep.within: must be borg's --keep-within interval: a positive integer followed by H (hours), d, w, m (months) or y, e.g. "1d"; did you mean "2H"? (borg's hours are H; m is months)`,
      `inventory.json:10: ${client}.settings.stagger: must be a duration: 0 or a positive integer followed by s, m, h, d or w (e.g. "30s", "5m", "2h", "1d", "1w"); did you mean "5m"?`,
    ],
  },
  {
    name: 'a relative repository',
    files: { ...base, 'inventory.json': edit(inventory, '"/srv/borg/storagebox"', '"backups/storagebox"') },
    expected: [
      `inventory.json:11: ${client}.settings.destinations.storagebox.repo: must be an absolute path, user@host:path or ssh://user@host:port/path; "backups/storagebox" is a relative path, which init and backups would read against different directories`,
    ],
  },
  {
    name: 'remote and absolute repositories are fine',
    files: {
      ...base,
      'inventory.json': edit(
        inventory,
        dest,
        `${dest}, "a": { "repo": "u1@host:backups" }, "b": { "repo": "ssh://u@h:23/./b" }, "c": { "repo": "file:///srv/c" }`,
      ),
    },
    expected: [],
  },
  {
    name: 'two destinations of one machine on one repository',
    files: {
      ...base,
      'inventory.json': edit(inventory, dest, `${dest}, "again": { "repo": "/srv/borg/storagebox/" }`),
    },
    expected: [
      `inventory.json:11: ${client}.settings.destinations.storagebox.repo: destination "storagebox" uses repository /srv/borg/storagebox like destination "again" of machine "jon": their locks, keys and secrets would collide; use one destination per repository`,
    ],
  },
  {
    name: 'an exclude that borg would read as an option',
    files: {
      ...base,
      'inventory.json': edit(
        inventory,
        '"destinations": {',
        '"exclude": ["*.tmp", "-cache"], "destinations": {',
      ),
    },
    expected: [
      `inventory.json:10: ${client}.settings.exclude.1: must not start with "-" (borg would read it as an option); write e.g. "*/-cache" or "sh:**/-cache"`,
    ],
  },
  {
    name: 'names that are built-in properties of JavaScript objects',
    files: {
      ...base,
      'inventory.json': edit(inventory, dest, `${dest}, "toString": { "repo": "/srv/t" }`),
      'machines/jon/state.yaml':
        'state:\n  constructor:\n    folders: [/a]\n  __proto__:\n    folders: [/b]\n',
    },
    expected: [
      `inventory.json:11: ${client}.settings.destinations.toString: "toString" is a reserved name (a built-in property of JavaScript objects); choose another name`,
      'machines/jon/state.yaml:2: state.constructor: "constructor" is a reserved name (a built-in property of JavaScript objects); choose another name',
      'machines/jon/state.yaml:4: state.__proto__: "__proto__" is a reserved name (a built-in property of JavaScript objects); choose another name',
    ],
  },
  {
    name: 'an empty keep (plan would refuse it)',
    files: {
      ...base,
      'inventory.json': edit(inventory, '"destinations": {', '"prune": { "keep": {} }, "destinations": {'),
    },
    expected: [
      `inventory.json:10: ${client}.settings.prune.keep: at least one retention rule is needed (within, last, minutely, hourly, daily, weekly, monthly, 13weekly, 3monthly, yearly)`,
    ],
  },
  {
    name: 'daily -1 keeps every day, as borg; -2 is refused',
    files: {
      ...base,
      'inventory.json': edit(
        inventory,
        '"destinations": {',
        '"prune": { "keep": { "daily": -1, "weekly": -2 } }, "destinations": {',
      ),
    },
    expected: [
      `inventory.json:10: ${client}.settings.prune.keep.weekly: must be a positive whole number, or -1 to keep one archive of every period`,
    ],
  },
  {
    name: "borg 1.4's quarterly rules: 3monthly takes a count as the others; 0 is refused",
    files: {
      ...base,
      'inventory.json': edit(
        inventory,
        '"destinations": {',
        '"prune": { "keep": { "3monthly": 0, "daily": 7 } }, "destinations": {',
      ),
    },
    expected: [
      `inventory.json:10: ${client}.settings.prune.keep.3monthly: must be a positive whole number, or -1 to keep one archive of every period`,
    ],
  },
  {
    name: '13weekly -1 keeps every quarter, as borg 1.4',
    files: {
      ...base,
      'inventory.json': edit(
        inventory,
        '"destinations": {',
        '"prune": { "keep": { "13weekly": -1 } }, "destinations": {',
      ),
    },
    expected: [],
  },
  {
    name: 'borg takes 13weekly or 3monthly, not both',
    files: {
      ...base,
      'inventory.json': edit(
        inventory,
        '"destinations": {',
        '"prune": { "keep": { "13weekly": 4, "3monthly": 4 } }, "destinations": {',
      ),
    },
    expected: [
      `inventory.json:10: ${client}.settings.prune.keep.3monthly: has both 13weekly and 3monthly: they are two ways to count quarters, borg takes one; keep one`,
    ],
  },
  {
    name: 'startAt of the wrong type',
    files: {
      ...base,
      'inventory.json': edit(inventory, '"destinations": {', '"startAt": 1, "destinations": {'),
    },
    expected: [`inventory.json:10: ${client}.settings.startAt: must be a string or a list, not a number`],
  },
  {
    name: 'role-wide startAt that systemd refuses',
    files: {
      ...base,
      'inventory.json': edit(
        inventory,
        '"client": {',
        '"client": {\n          "settings": { "startAt": "Mon..Fry 02:30" },',
      ),
    },
    expected: [
      `inventory.json:7: instances.borgbackup.roles.client.settings.startAt: "Mon..Fry 02:30" is not a valid calendar expression: unknown weekday "Fry" (Mon, Tue, Wed, Thu, Fri, Sat, Sun, or in full); ${calendarForms}`,
    ],
  },
  {
    name: 'verify calendars systemd refuses, machine-wide and per destination',
    files: {
      ...base,
      'inventory.json': edit(
        edit(inventory, dest, dest.replace(' }', ', "verify": { "check": ["weekly", "*/2:00"] } }')),
        '"destinations": {',
        '"verify": { "drill": "Mon..Fry 02:30", "verifyData": false }, "destinations": {',
      ),
    },
    expected: [
      `inventory.json:10: ${client}.settings.verify.drill: "Mon..Fry 02:30" is not a valid calendar expression: unknown weekday "Fry" (Mon, Tue, Wed, Thu, Fri, Sat, Sun, or in full); ${calendarForms}`,
      `inventory.json:11: ${client}.settings.destinations.storagebox.verify.check.1: "*/2:00" is not a valid calendar expression: "*/N" is not systemd syntax: write START/N, e.g. 0/15 for minutes or 1/2 for days (in "*/2:00"); ${calendarForms}`,
    ],
  },
  {
    name: 'an unknown key does not hide a calendar error in the same file (every problem at once)',
    files: {
      ...base,
      'inventory.json': edit(
        inventory,
        '"destinations": {',
        '"startAt": "Mon..Fry 02:30", "exlcude": [], "destinations": {',
      ),
    },
    expected: [
      `inventory.json:10: ${client}.settings.exlcude: unknown key "exlcude"; did you mean "exclude"? (accepted: destinations, exclude, startAt, stagger, maxAge, encryption, compression, prune, lockWait, verify, notify, scheduler)`,
      `inventory.json:10: ${client}.settings.startAt: "Mon..Fry 02:30" is not a valid calendar expression: unknown weekday "Fry" (Mon, Tue, Wed, Thu, Fri, Sat, Sun, or in full); ${calendarForms}`,
    ],
  },
  {
    name: 'cron syntax and cron macros where a systemd calendar is expected get the systemd form',
    files: {
      ...base,
      'inventory.json': edit(
        edit(inventory, dest, dest.replace(' }', ', "verify": { "check": "@daily" } }')),
        '"destinations": {',
        '"startAt": ["0 3 * * *", "*/15 * * * 1-5", "@reboot"], "destinations": {',
      ),
    },
    expected: [
      `inventory.json:10: ${client}.settings.startAt.0: "0 3 * * *" is cron syntax, not a systemd calendar expression; as a systemd calendar: "*-*-* 03:00:00"`,
      `inventory.json:10: ${client}.settings.startAt.1: "*/15 * * * 1-5" is cron syntax, not a systemd calendar expression; as a systemd calendar: "Mon..Fri *-*-* *:00/15:00"`,
      `inventory.json:10: ${client}.settings.startAt.2: "@reboot" is a cron macro, not a systemd calendar expression (e.g. "*-*-* 03:00:00" for cron's "0 3 * * *", "daily" for "@daily")`,
      `inventory.json:11: ${client}.settings.destinations.storagebox.verify.check: "@daily" is a cron macro, not a systemd calendar expression; as a systemd calendar: "daily"`,
    ],
  },
  {
    name: 'verify: a typo, a relative scratch, an empty or true calendar, a verifyScript that is no script (every one at once)',
    files: {
      'inventory.json': edit(
        edit(inventory, dest, dest.replace(' }', ', "verify": { "chek": "weekly", "drill": true } }')),
        '"destinations": {',
        '"verify": { "scratch": "tmp/drill", "verifyData": [] }, "destinations": {',
      ),
      'machines/jon/state.yaml': `${state}    verifyScript: [sqlite3]\n`,
    },
    expected: [
      `inventory.json:10: ${client}.settings.verify.scratch: must be an absolute path (starting with "/")`,
      `inventory.json:10: ${client}.settings.verify.verifyData: must have at least 1 item`,
      `inventory.json:11: ${client}.settings.destinations.storagebox.verify.chek: unknown key "chek"; did you mean "check"? (accepted: check, verifyData, drill, scratch)`,
      `inventory.json:11: ${client}.settings.destinations.storagebox.verify.drill: must be a string or a list, not a boolean`,
      'machines/jon/state.yaml:7: state.linkding.verifyScript: must be a string, not a list',
    ],
  },
  {
    name: 'verify that is not a map',
    files: {
      ...base,
      'inventory.json': edit(inventory, '"destinations": {', '"verify": "monthly", "destinations": {'),
    },
    expected: [`inventory.json:10: ${client}.settings.verify: must be an object, not a string`],
  },
  {
    name: 'machine startAt list with one element systemd refuses',
    files: {
      ...base,
      'inventory.json': edit(
        inventory,
        '"destinations": {',
        '"startAt": ["Mon..Fri 02:30", "*/2:00"], "destinations": {',
      ),
    },
    expected: [
      `inventory.json:10: ${client}.settings.startAt.1: "*/2:00" is not a valid calendar expression: "*/N" is not systemd syntax: write START/N, e.g. 0/15 for minutes or 1/2 for days (in "*/2:00"); ${calendarForms}`,
    ],
  },
  {
    name: 'startAt list in YAML: each element at its own line',
    files: {
      'machines/jon/state.yaml': state,
      'inventory.yaml': [
        'instances:',
        '  borgbackup:',
        '    module: { name: borgbackup }',
        '    roles:',
        '      client:',
        '        settings:',
        '          startAt:',
        '            - daily',
        '            - "*-*-* 25:00"',
        '            - "12:00:30.5"',
        '        machines:',
        '          jon:',
        '            settings:',
        '              startAt: "*-*~29"',
        '              destinations: { storagebox: { repo: /srv/borg/storagebox } }',
        '',
      ].join('\n'),
    },
    expected: [
      `inventory.yaml:9: instances.borgbackup.roles.client.settings.startAt.1: "*-*-* 25:00" is not a valid calendar expression: hour 25 is out of range 0..23; ${calendarForms}`,
      `inventory.yaml:10: instances.borgbackup.roles.client.settings.startAt.2: "12:00:30.5" is not a valid calendar expression: fractional seconds are not supported; ${calendarForms}`,
      `inventory.yaml:14: ${client}.settings.startAt: "*-*~29" is not a valid calendar expression: day ~29 is out of range ~1..~28; ${calendarForms}`,
    ],
  },
  {
    name: 'a stagger that would move the last day of the month past midnight',
    files: {
      ...base,
      'inventory.json': edit(
        inventory,
        '"destinations": {',
        '"startAt": ["daily", "*-*~1 23:30"], "stagger": "1h", "destinations": {',
      ),
    },
    expected: [
      `inventory.json:10: ${client}.settings.stagger: a stagger of up to 1h can move "*-*~1 23:30" past midnight onto days that systemd's calendar syntax cannot name (it counts days back from the end of the month); use a smaller stagger or an earlier time`,
    ],
  },
  {
    name: 'a stagger that keeps the runs on their day is fine',
    files: {
      ...base,
      'inventory.json': edit(
        inventory,
        '"destinations": {',
        '"startAt": ["daily", "*-*~1 23:30"], "stagger": "30m", "destinations": {',
      ),
    },
    expected: [],
  },
  {
    name: 'server with a relative directory and a bad quota',
    files: {
      ...base,
      'inventory.json': edit(
        inventory,
        '"client": {',
        '"server": { "machines": { "vault": { "settings": { "directory": "borg", "quota": "lots" } } } },\n        "client": {',
      ),
    },
    expected: [
      'inventory.json:6: instances.borgbackup.roles.server.machines.vault.settings.directory: must be an absolute path (starting with "/")',
      'inventory.json:6: instances.borgbackup.roles.server.machines.vault.settings.quota: must be a size such as "500G" or "1.5T"',
    ],
  },
  {
    name: 'malformed JSON says where',
    files: {
      ...base,
      'inventory.json': edit(
        inventory,
        '"module": { "name": "borgbackup" },',
        '"module": { "name": "borgbackup" }',
      ),
    },
    expected: ["inventory.json:5: invalid JSON: Expected ',' or '}' after property value"],
  },
  {
    name: 'JSON trailing comma (valid YAML, invalid JSON)',
    files: {
      ...base,
      'inventory.json': edit(inventory, '"/srv/borg/storagebox" }', '"/srv/borg/storagebox", }'),
    },
    expected: ['inventory.json:11: invalid JSON: Expected double-quoted property name'],
  },
  {
    name: 'malformed YAML says where',
    files: { ...base, 'machines/jon/state.yaml': edit(state, '    folders:', '    folders: [') },
    expected: [
      'machines/jon/state.yaml:4: invalid YAML: Block collections are not allowed within flow collections',
    ],
  },
  {
    name: 'duplicate keys in YAML',
    files: { ...base, 'machines/jon/state.yaml': `${state}  linkding:\n    folders: []\n` },
    expected: ['machines/jon/state.yaml:7: invalid YAML: duplicate key: linkding'],
  },
  {
    name: 'duplicate keys in JSON',
    files: { ...base, 'inventory.json': edit(inventory, dest, `${dest}, "storagebox": { "repo": "/x" }`) },
    expected: ['inventory.json:11: invalid JSON: duplicate key: "storagebox"'],
  },
  {
    name: 'missing inventory',
    files: { 'machines/jon/state.yaml': state },
    expected: [
      'inventory.json:1: no inventory: add inventory.json or inventory.yaml at the top of the config repository',
    ],
  },
  {
    name: 'both inventory.json and inventory.yaml',
    files: { ...base, 'inventory.yaml': 'instances: {}\n' },
    expected: ['inventory.yaml:1: both inventory.json and inventory.yaml exist; keep one'],
  },
  {
    name: 'client in two instances',
    files: {
      ...base,
      'inventory.json': edit(
        inventory,
        '  "instances": {',
        '  "instances": {\n    "second": { "module": { "name": "borgbackup" }, "roles": { "client": { "machines": { "jon": {} } } } },',
      ),
    },
    expected: [
      'inventory.json:3: instances.second.roles.client.machines.jon: machine "jon" is already a client of instance "borgbackup"; a machine may be a client of one borgbackup instance',
    ],
  },
  {
    name: 'archive prefixes that collide in one repository',
    files: {
      'inventory.json': edit(
        inventory,
        dest,
        `"a-b": { "repo": "/srv/borg/shared" } } } },\n            "jon-a": { "settings": { "destinations": { "b": { "repo": "/srv/borg/shared/" }`,
      ),
      'machines/jon/state.yaml': state,
      'machines/jon-a/state.yaml': state,
    },
    expected: [
      'inventory.json:12: instances.borgbackup.roles.client.machines.jon-a.settings.destinations.b: archive prefix "jon-a-b-" of jon-a/b collides with jon/a-b in repository /srv/borg/shared/: their archives would be pruned together; rename a destination',
    ],
  },
  {
    name: 'a destination name that differs from its key is not used (as in clan)',
    files: {
      ...base,
      'inventory.json': edit(inventory, dest, `${dest}, "other": { "name": "storagebox", "repo": "/srv/x" }`),
    },
    expected: [
      `inventory.json:11: ${client}.settings.destinations.other.name: warning: name "storagebox" is not used: as in clan, archives (jon-other-<time>), the job (borgbackup-job-other) and backups list lines (other::…) are named after the key "other"`,
    ],
  },
  {
    name: 'client role without a state file (warning only)',
    files: { 'inventory.json': inventory },
    expected: [
      `inventory.json:8: ${client}: warning: machine "jon" has the client role but no machines/jon/state.json or state.yaml; it backs up nothing and gets no jobs`,
    ],
  },
  {
    name: 'state file without a role (warning only)',
    files: { ...base, 'machines/sara/state.json': '{\n  "state": { "db": { "folders": ["/srv/db"] } }\n}\n' },
    expected: [
      'machines/sara/state.json:2: state: warning: machine "sara" has states but is not a client of any borgbackup instance; nothing backs them up',
    ],
  },
  {
    name: 'malformed public key',
    files: { ...base, 'machines/jon/borgbackup.ssh.pub': 'not a key\n' },
    expected: [
      'machines/jon/borgbackup.ssh.pub:1: is not an SSH public key (expected "ssh-ed25519 AAAA… comment", as `borgops keys show` prints)',
    ],
  },
  {
    name: 'pinned host key that is not a key',
    files: {
      ...base,
      'inventory.json': edit(inventory, dest, `${dest.slice(0, -2)}, "knownHosts": ["vault.lan AAAAC3"] }`),
    },
    expected: [
      `inventory.json:11: ${client}.settings.destinations.storagebox.knownHosts.0: must be "keytype base64" or a known_hosts line "host keytype base64"`,
    ],
  },
  {
    name: 'server user and host key',
    files: {
      ...base,
      'inventory.json': edit(
        inventory,
        '"client": {',
        '"server": { "machines": { "vault": { "settings": { "user": "Borg", "hostKey": "vault ssh-ed25519 AAAA" } } } }, "client": {',
      ),
    },
    expected: [
      'inventory.json:6: instances.borgbackup.roles.server.machines.vault.settings.hostKey: must be an SSH public key "keytype base64" (e.g. "ssh-ed25519 AAAAC3…")',
      'inventory.json:6: instances.borgbackup.roles.server.machines.vault.settings.user: must be a user name: lowercase letters, digits, "_" and "-", starting with a letter or "_"',
    ],
  },
  {
    name: 'repository with :: in it',
    files: { ...base, 'inventory.json': edit(inventory, '/srv/borg/storagebox', '/srv/borg::x') },
    expected: [
      `inventory.json:11: ${client}.settings.destinations.storagebox.repo: must not contain "::" (borg archive separator)`,
    ],
  },
];

describe('validate: every problem with file, line, path and message', () => {
  it('accepts the base case', () => {
    expect(run(base)).toEqual([]);
  });

  it('accepts startAt strings and lists that systemd accepts', () => {
    const startAt = '"startAt": ["Mon..Fri 02:30", "Sat,Sun 10:00 UTC", "*-*~1 23:00"], "destinations": {';
    const files = { ...base, 'inventory.json': edit(inventory, '"destinations": {', startAt) };
    expect(run(files)).toEqual([]);
    const role = edit(inventory, '"client": {', '"client": { "settings": { "startAt": "hourly" },');
    expect(run({ ...base, 'inventory.json': role })).toEqual([]);
  });

  it.each(cases)('$name', ({ files, expected }) => {
    expect(run(files)).toEqual(expected);
  });

  it('has at least 20 distinct invalid inputs', () => {
    expect(new Set(cases.map((c) => JSON.stringify(c.files))).size).toBeGreaterThanOrEqual(20);
  });

  it('reports problems from several files at once', () => {
    const problems = run({
      'inventory.json': edit(inventory, '"destinations": {', '"destination": {'),
      'machines/jon/state.yaml': edit(state, '- /var/backup/linkding', '- relative'),
    });
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^inventory\.json:10: /);
    expect(problems[1]).toMatch(/^machines\/jon\/state\.yaml:4: /);
  });

  it('never echoes file contents in a JSON syntax error', () => {
    const secret = 'hunter2-passphrase';
    const problems = run({ ...base, 'inventory.json': `{"a": "${secret}" x}` });
    expect(problems.join('\n')).not.toContain(secret);
    expect(problems).toHaveLength(1);
  });
});
