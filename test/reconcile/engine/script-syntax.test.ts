import { describe, expect, it } from 'vitest';
import { validateFiles } from '../../../reconcile/engine/declarations.js';
import { formatProblem } from '../../../src/config/problem.js';

const inventory = `{
  "instances": {
    "borgbackup": {
      "module": { "name": "borgbackup" },
      "roles": {
        "client": {
          "machines": {
            "jon": { "settings": { "destinations": { "local": { "repo": "/srv/borg/local" } } } }
          }
        }
      }
    }
  }
}
`;

function stateYaml(field: string, script: string): string {
  return [
    'state:',
    '  linkding:',
    '    folders: [/var/backup/linkding]',
    `    ${field}: |`,
    ...script.split('\n').map((line) => `      ${line}`),
    '',
  ].join('\n');
}

async function problems(files: Record<string, string>): Promise<{ valid: boolean; lines: string[] }> {
  const result = await validateFiles(new Map(Object.entries({ 'inventory.json': inventory, ...files })));
  return { valid: result.declarations !== undefined, lines: result.problems.map(formatProblem) };
}

describe('bash -n of every declared script (real bash)', () => {
  it.each([
    ['preBackupScript', 'echo start\nsqlite3 db .backup (copy)'],
    ['postBackupScript', 'echo "unterminated'],
    ['preRestoreScript', 'if true; then\n  echo x'],
    ['postRestoreScript', 'for f in a b; do echo $f'],
    ['verifyScript', 'test -f "$RESTORE_DIR/x" && {'],
  ])('%s with a syntax error: refused at its file:line naming the field', async (field, script) => {
    const result = await problems({ 'machines/jon/state.yaml': stateYaml(field, script) });
    expect(result.valid).toBe(false);
    expect(result.lines).toHaveLength(1);
    expect(result.lines[0]).toMatch(
      new RegExp(`^machines/jon/state\\.yaml:4: state\\.linkding\\.${field}: bash -n: line \\d+: `),
    );
  });

  it('says what bash says, with the script line', async () => {
    const result = await problems({
      'machines/jon/state.yaml': stateYaml('preBackupScript', 'echo start\nsqlite3 db .backup (copy)'),
    });
    expect(result.lines).toEqual([
      "machines/jon/state.yaml:4: state.linkding.preBackupScript: bash -n: line 2: syntax error near unexpected token `(' (in `sqlite3 db .backup (copy)')",
    ]);
  });

  it('finds the script in a JSON state file, and checks every machine', async () => {
    const json = `{
  "state": {
    "linkding": {
      "folders": ["/var/backup/linkding"],
      "postBackupScript": "echo (oops"
    }
  }
}
`;
    const result = await problems({
      'machines/jon/state.json': json,
      'machines/sara/state.yaml': stateYaml('preBackupScript', 'done'),
    });
    expect(
      result.lines.filter((line) => line.includes('bash -n')).map((line) => line.split(': bash -n')[0]),
    ).toEqual([
      'machines/jon/state.json:5: state.linkding.postBackupScript',
      'machines/sara/state.yaml:4: state.linkding.preBackupScript',
    ]);
  });

  it('checks a script longer than one argument may be (on stdin)', async () => {
    const long = `${'echo padding\n'.repeat(10_000)}echo (oops`;
    const result = await problems({ 'machines/jon/state.yaml': stateYaml('preBackupScript', long) });
    expect(result.lines).toEqual([
      "machines/jon/state.yaml:4: state.linkding.preBackupScript: bash -n: line 10001: syntax error near unexpected token `oops' (in `echo (oops')",
    ]);
  });

  it('accepts valid scripts, including a here-document and bash-only syntax', async () => {
    const script = 'set -x\nif [[ -d /x ]]; then\n  cat <<EOF\n(not code)\nEOF\nfi\narr=(a b)\necho "$arr"';
    const result = await problems({ 'machines/jon/state.yaml': stateYaml('preBackupScript', script) });
    expect(result).toEqual({ valid: true, lines: [] });
  });
});
