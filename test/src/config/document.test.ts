import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { hasDuplicateKey, parseFile } from '../../../src/config/document.js';

describe('JSON fast path of parseFile', () => {
  it.each([
    ['{"a": 1, "b": 2}', false],
    ['{"a": 1, "a": 2}', true],
    ['{"a": {"x": 1}, "b": {"x": 1}}', false],
    ['{"a": {"x": 1, "x": 2}}', true],
    ['[{"x": 1}, {"x": 2}]', false],
    ['{"a": "b", "b": "a:b"}', false],
    ['{"s": "{\\"a\\": 1, \\"a\\": 2}"}', false],
    ['{"ab": 1, "a\\u0062": 2}', true],
    ['{"a\\"b": 1, "a\\"b" : 2}', true],
    ['{"k": ["k", "k"], "v": {"k": "k"}}', false],
  ])('hasDuplicateKey(%s) is %s', (text, expected) => {
    expect(hasDuplicateKey(text)).toBe(expected);
  });

  it('gives the YAML parser’s value for any JSON object, and no duplicate key', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (value) => {
        const text = JSON.stringify(value, null, 2);
        expect(hasDuplicateKey(text)).toBe(false);
        const parsed = parseFile('x.json', text);
        expect(parsed.ok).toBe(true);
        if (!parsed.ok) return;
        expect(parsed.parsed.value).toEqual(JSON.parse(text));
        expect(parsed.parsed.value).toEqual(parseDocument(text, { uniqueKeys: true }).toJS());
      }),
      { numRuns: 200 },
    );
  });

  it('finds a key given twice exactly when the yaml parser does, escapes and nesting included', () => {
    // JSON text written by hand from entries, so an object can repeat a key (JSON.stringify cannot)
    const key = fc.constantFrom('a', 'b', 'a\\u0062', 'ab', 'a\\"', 'a\\\\', '{', '[', ':', ' ');
    const text = fc.letrec<{ value: string }>((tie) => ({
      value: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.constantFrom('1', '"a"', '"a:"', '"\\"a\\": 1"', 'null', '"\\\\"'),
        fc.array(tie('value'), { maxLength: 3 }).map((items) => `[${items.join(', ')}]`),
        fc
          .array(fc.tuple(key, fc.constantFrom('', ' ', '\n  '), tie('value')), { maxLength: 4 })
          .map((entries) => `{${entries.map(([k, space, v]) => `"${k}"${space}: ${v}`).join(',\n')}}`),
      ),
    })).value;
    fc.assert(
      fc.property(text, (json) => {
        JSON.parse(json);
        const yamlSaysDuplicate = parseDocument(json, { uniqueKeys: true }).errors.some(
          (e) => e.code === 'DUPLICATE_KEY',
        );
        expect(hasDuplicateKey(json)).toBe(yamlSaysDuplicate);
      }),
      { numRuns: 2000 },
    );
  });

  it('finds lines the way the YAML path does, only when asked', () => {
    const text =
      '{\n  "instances": {\n    "borgbackup": {\n      "roles": {}\n    }\n  },\n  "machines": {}\n}\n';
    const parsed = parseFile('inventory.json', text);
    if (!parsed.ok) throw new Error('expected valid JSON');
    expect(parsed.parsed.lineOf(['instances', 'borgbackup', 'roles'])).toBe(4);
    expect(parsed.parsed.lineOf(['machines'])).toBe(7);
    expect(parsed.parsed.lineOf(['missing', 'path'])).toBe(1);
  });

  it('still reports a duplicate key with its line', () => {
    const parsed = parseFile('inventory.json', '{\n  "a": 1,\n  "a": 2\n}\n');
    expect(parsed).toEqual({
      ok: false,
      problems: [
        {
          file: 'inventory.json',
          line: 3,
          path: '',
          message: 'invalid JSON: duplicate key: "a"',
          severity: 'error',
        },
      ],
    });
  });
});

describe('YAML anchors and aliases', () => {
  const machines = Array.from({ length: 120 }, (_, i) => `            m${i}: { settings: *common }`).join(
    '\n',
  );
  const inventory = `common: &common
  destinations: { local: { repo: /srv/borg/local } }
instances:
  borgbackup:
    module: { name: borgbackup }
    roles:
      client:
        machines:
${machines.replace(/^ {12}/gm, '          ')}
`;

  it('a valid inventory using one anchor 120 times loads, and its lines are found (as for a warning)', () => {
    const parsed = parseFile('inventory.yaml', inventory);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const value = parsed.parsed.value as {
      instances: { borgbackup: { roles: { client: { machines: object } } } };
    };
    expect(Object.keys(value.instances.borgbackup.roles.client.machines)).toHaveLength(120);
    expect(parsed.parsed.lineOf(['instances', 'borgbackup', 'roles', 'client', 'machines', 'm119'])).toBe(
      128,
    );
  });

  it('a billion laughs is a problem at the line of its first alias (js-yaml, which has no limit, is skipped for files with anchors)', () => {
    const laughs = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i <= 8; i += 1) {
      const previous = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      laughs.push(`${name}: &${name} [${Array(9).fill(`*${previous}`).join(',')}]`);
    }
    for (const file of ['state.yaml', 'inventory.yml']) {
      const result = parseFile(file, `${laughs.join('\n')}\n`);
      expect(result).toEqual({
        ok: false,
        problems: [
          {
            file,
            line: 2,
            path: '',
            message:
              'invalid YAML: aliases expand to more than 10000 nodes (anchors are limited so that a small file cannot expand without bound); write the repeated parts out',
            severity: 'error',
          },
        ],
      });
    }
  });
});
