import { BorgopsError } from '../errors.js';
import { jsonSchemaOf, SCHEMA_FILES, type SchemaFile } from './json-schema.js';
import { NAME_PATTERN, NAME_RULE } from './names.js';

/** What `borgops init` writes: a config repository that `borgops validate` accepts as is. */
export interface ScaffoldOptions {
  machine: string;
  /** The borg repository of the one destination (default: a local path on the machine). */
  repo?: string;
}

/** Relative path → content. Schemas go in `schema/`, so editors check the files offline. */
export function scaffoldFiles({ machine, repo }: ScaffoldOptions): Map<string, string> {
  if (!NAME_PATTERN.test(machine))
    throw new BorgopsError('E_USAGE', `machine name "${machine}" is invalid: ${NAME_RULE}`);
  const destination = repo ?? `/srv/borg/${machine}`;
  const files = new Map<string, string>();
  files.set(
    'inventory.yaml',
    `# yaml-language-server: $schema=schema/inventory.schema.json
# The borgops inventory, in clan's shape: which machines back up to which borg destinations.
# Check it with \`borgops validate --worktree\`; see what it would do with \`borgops plan\`.
instances:
  borgbackup:
    module:
      name: borgbackup
      input: clan-core
    roles:
      client:
        settings:
          startAt: "*-*-* 01:00:00"
        machines:
          ${JSON.stringify(machine)}:
            settings:
              destinations:
                local:
                  # /abs/path, user@host:path or ssh://user@host:port/path
                  repo: ${JSON.stringify(destination)}
      server:
        machines: {}
`,
  );
  files.set(
    `machines/${machine}/state.yaml`,
    `# yaml-language-server: $schema=../../schema/state.schema.json
# The states of machine ${machine} (clan.core.state): what is backed up, with scripts around it.
state:
  example:
    folders:
      - /var/lib/example
`,
  );
  for (const name of Object.keys(SCHEMA_FILES) as SchemaFile[]) {
    files.set(`schema/${name}.schema.json`, `${JSON.stringify(jsonSchemaOf(name), null, 2)}\n`);
  }
  return files;
}
