import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { shlexSplit } from '../../../src/util/shlex.js';

const cases: [string, string[]][] = [
  ['cat /run/secrets/pass', ['cat', '/run/secrets/pass']],
  ["  sh -c 'echo a b'  ", ['sh', '-c', 'echo a b']],
  ['printf "%s\\n" "a \\"b\\""', ['printf', '%s\\n', 'a "b"']],
  ['a\\ b c', ['a b', 'c']],
  ['pass show \'borg/jon\'"-x"', ['pass', 'show', 'borg/jon-x']],
  ["''", ['']],
  ['', []],
  // inside double quotes only \\ and \" are escapes; \$ and \` stay as written
  ['echo "\\$HOME \\` \\\\ \\n"', ['echo', '\\$HOME \\` \\ \\n']],
  ['"a\\\nb"', ['a\\\nb']],
  ['a\\\nb', ['a\nb']],
  // shlex splits at space, tab, CR and LF only
  ['a\u000bb\u000cc\u00a0d\te\r\nf', ['a\u000bb\u000cc\u00a0d', 'e', 'f']],
  ['a""b', ['ab']],
];

describe('shlexSplit (what borg does to BORG_PASSCOMMAND)', () => {
  it.each(cases)('%j', (text, words) => {
    expect(shlexSplit(text)).toEqual(words);
  });

  it('agrees with Python shlex.split on every case', async () => {
    const script = 'import json,shlex,sys; print(json.dumps([shlex.split(t) for t in json.load(sys.stdin)]))';
    const { stdout } = await execa('python3', ['-c', script], {
      input: JSON.stringify(cases.map(([t]) => t)),
    });
    expect(JSON.parse(stdout)).toEqual(cases.map(([text]) => shlexSplit(text)));
  });

  it('refuses an unterminated quote, as shlex does', () => {
    expect(() => shlexSplit("cat 'x")).toThrow(/No closing quotation/);
    expect(() => shlexSplit('cat "x')).toThrow(/No closing quotation/);
  });

  it('refuses a final lone backslash, as shlex does', () => {
    expect(() => shlexSplit('cat x\\')).toThrow(/No escaped character/);
  });
});
