// Generates a config repository of a large fleet for the preview benchmark (plain files, no git).
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

const pad = (n, width) => String(n).padStart(width, '0');

function stateJson(states, variant) {
  const state = {};
  for (let s = 0; s < states; s += 1) {
    const name = `app${pad(s, 2)}`;
    state[name] = {
      folders: [`/var/backup/${name}`, `/srv/${name}/data`],
      preBackupScript: `systemctl stop ${name}\nrsync -a --delete /srv/${name}/live/ /var/backup/${name}/\nsystemctl start ${name}\n`,
      postRestoreScript: `systemctl stop ${name}\nrsync -a --delete /var/backup/${name}/ /srv/${name}/live/\nsystemctl start ${name}${variant}\n`,
    };
  }
  return `${JSON.stringify({ state }, null, 2)}\n`;
}

function stateYaml(machine, states, variant) {
  const lines = [`# states of ${machine}`, 'state:'];
  for (let s = 0; s < states; s += 1) {
    const name = `app${pad(s, 2)}`;
    lines.push(
      `  ${name}:`,
      '    folders:',
      `      - /var/backup/${name}`,
      `      - /srv/${name}/data`,
      '    preBackupScript: |',
      `      systemctl stop ${name}`,
      `      rsync -a --delete /srv/${name}/live/ /var/backup/${name}/`,
      `      systemctl start ${name}`,
      '    postRestoreScript: |',
      `      systemctl stop ${name}`,
      `      rsync -a --delete /var/backup/${name}/ /srv/${name}/live/`,
      `      systemctl start ${name}${variant}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The files of a fleet: `machines` clients, each with `destinations` destinations of its own and
 * `states` states with two scripts each. `change` picks what the head commit changes:
 * - `none`: nothing; - `script`: one script of one machine;
 * - `fleet`: role-wide retention and start time, so every machine and destination changes.
 * State files are YAML (as the guide writes them) or, with `stateFormat: 'json'`, JSON.
 */
export function fleetFiles({ machines, destinations, states, stateFormat = 'yaml' }, change = 'none') {
  const clientMachines = {};
  const files = {};
  for (let m = 0; m < machines; m += 1) {
    const machine = `host${pad(m, 4)}`;
    const declared = {};
    for (let d = 0; d < destinations; d += 1) {
      declared[`dest${d}`] = {
        repo: `ssh://u${pad(m, 4)}@backup${d}.example.net:23/./${machine}`,
        rsh: `ssh -oPort=23 -i /run/secrets/borgbackup-${d}`,
      };
    }
    clientMachines[machine] = { settings: { destinations: declared } };
    const variant = change === 'script' && m === 0 ? ' # changed' : '';
    if (stateFormat === 'json') files[`machines/${machine}/state.json`] = stateJson(states, variant);
    else files[`machines/${machine}/state.yaml`] = stateYaml(machine, states, variant);
  }
  const fleetWide = change === 'fleet';
  const inventory = {
    instances: {
      borgbackup: {
        module: { name: 'borgbackup', input: 'clan-core' },
        roles: {
          client: {
            settings: {
              startAt: fleetWide ? '*-*-* 03:00:00' : '*-*-* 01:00:00',
              stagger: '1h',
              prune: {
                keep: fleetWide
                  ? { within: '1d', daily: 3, weekly: 4 }
                  : { within: '1d', daily: 7, weekly: 4 },
              },
            },
            machines: clientMachines,
          },
        },
      },
    },
  };
  files['inventory.json'] = `${JSON.stringify(inventory, null, 2)}\n`;
  return files;
}

export async function writeFleet(dir, files) {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
}
