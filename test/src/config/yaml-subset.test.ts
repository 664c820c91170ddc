// The subset parser stands in for js-yaml and the `yaml` package only where both would return an
// equal value without an error: a value it returns that they would not is a state file acted on
// as something it does not say. Differential: random texts from a grammar of the subset and of
// its edges, every accepted one compared with both parsers.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { CORE_SCHEMA, load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { parseFile } from '../../../src/config/document.js';
import { parseYamlSubset } from '../../../src/config/yaml-subset.js';
import { fleetFiles } from '../../bench/preview-fleet.mjs';
import { spaces, yamlTexts } from '../../helpers/yaml-texts.js';

type Outcome = { ok: true; value: unknown } | { ok: false };

function jsYaml(text: string): Outcome {
  try {
    return { ok: true, value: load(text, { schema: CORE_SCHEMA }) };
  } catch {
    return { ok: false };
  }
}

// the options of src/config/document.ts
function yamlPackage(text: string): Outcome {
  const doc = parseDocument(text, { uniqueKeys: false, prettyErrors: false, strict: true });
  if (doc.errors.length > 0) return { ok: false };
  return { ok: true, value: doc.toJS() };
}

/** Fails unless `text` is refused, or both full parsers return the subset parser's value. */
function expectAgreement(text: string): boolean {
  const value = parseYamlSubset(text);
  if (value === undefined) return false;
  const reference = jsYaml(text);
  expect(reference.ok, `js-yaml refuses ${JSON.stringify(text)}`).toBe(true);
  expect(
    isDeepStrictEqual(value, reference.ok && reference.value),
    `js-yaml differs on ${JSON.stringify(text)}`,
  ).toBe(true);
  const other = yamlPackage(text);
  expect(other.ok, `yaml refuses ${JSON.stringify(text)}`).toBe(true);
  expect(isDeepStrictEqual(value, other.ok && other.value), `yaml differs on ${JSON.stringify(text)}`).toBe(
    true,
  );
  return true;
}

// shrinking a text drawn step by step takes many minutes: the first failing text is reported as is
const cleanTexts = yamlTexts(false);
const edgyTexts = yamlTexts(true);

describe('parseYamlSubset', () => {
  it('accepts every text from the grammar of the subset, with the value of both full parsers', () => {
    fc.assert(
      fc.property(cleanTexts, (text) => {
        expect(expectAgreement(text), `refused ${JSON.stringify(text)}`).toBe(true);
      }),
      { numRuns: 3000, endOnFailure: true },
    );
  });

  it('returns a value only where both full parsers return it, on texts at and over the edges', () => {
    let accepted = 0;
    let runs = 0;
    fc.assert(
      fc.property(edgyTexts, (text) => {
        runs += 1;
        if (expectAgreement(text)) accepted += 1;
      }),
      { numRuns: 6000, endOnFailure: true },
    );
    // the edges are reached from both sides: a test that accepts nothing proves nothing
    expect(accepted / runs).toBeGreaterThan(0.1);
    expect(accepted / runs).toBeLessThan(0.9);
  });

  // exhaustive where random texts are thin: every short token in every position, every small layout
  it('agrees on every scalar or key of up to two characters, in every position', () => {
    const alphabet = [...`a :#-'"/.1?,[{!&*|>%@\`~\\$_e+<=`];
    const words = ['', ...alphabet, ...alphabet.flatMap((a) => alphabet.map((b) => a + b))];
    const forms = [
      (x: string) => `k: ${x}\n`,
      (x: string) => `k:\n  - ${x}\n`,
      (x: string) => `${x}: v\n`,
      (x: string) => `k:\n- ${x}\n`,
      (x: string) => `k: |\n  ${x}\n`,
      (x: string) => `k:\n  - ${x}: v\n`,
      (x: string) => `k: '${x}'\n`,
      (x: string) => `k: "${x}"\n`,
      (x: string) => `k: ${x}\nj: w\n`,
    ];
    let accepted = 0;
    for (const word of words) for (const form of forms) if (expectAgreement(form(word))) accepted += 1;
    expect(accepted).toBeGreaterThan(1000);
  });

  it('agrees on every block scalar of up to three lines', () => {
    const lines = ['', ' ', '  ', '   ', '    ', '     ', 'x', ' x', '  x', '   x', '    x', '  #', '# c'];
    const heads = ['k: |', 'k: |-', 'k: |+', 'k:\n  - |', 'k:\n- |+', 'k:\n  - j: |-'];
    const tails = ['', 'j: w\n', '  j: w\n'];
    let bodies: string[][] = [[]];
    const all: string[][] = [];
    for (let n = 1; n <= 3; n += 1) {
      bodies = bodies.flatMap((body) => lines.map((line) => [...body, line]));
      all.push(...bodies);
    }
    let accepted = 0;
    for (const body of all)
      for (const head of heads)
        for (const tail of tails) if (expectAgreement(`${head}\n${body.join('\n')}\n${tail}`)) accepted += 1;
    expect(accepted).toBeGreaterThan(2000);
  });

  it('agrees on every layout of two lines under a first entry', () => {
    const kinds = ['a: x', 'b:', '- x', '- a: x', '- - x', '-', '# c', '', 'c: |', 'x', '-  d: y', 'a: y'];
    const lines = kinds.flatMap((kind) => [0, 1, 2, 3, 4].map((indent) => spaces(indent) + kind));
    let accepted = 0;
    for (const first of ['k:', 'k: v', 'k:\n  m:', 'k:\n- x'])
      for (const a of lines)
        for (const b of lines) if (expectAgreement(`${first}\n${a}\n${b}\n`)) accepted += 1;
    expect(accepted).toBeGreaterThan(500);
  });

  it.each<[string, string, unknown]>([
    ['a sequence at its key’s column', 'a:\n- x\n- y\nb: z\n', { a: ['x', 'y'], b: 'z' }],
    [
      'a mapping in a sequence item',
      'a:\n  - k: v\n    j: w\n  -   k: u\n',
      { a: [{ k: 'v', j: 'w' }, { k: 'u' }] },
    ],
    ['nested sequences on one line', 'a:\n  - - x\n    - y\n  - z\n', { a: [['x', 'y'], 'z'] }],
    [
      'comments anywhere between entries',
      '# c\na:\n      # c\n  b: x\n # c\n  c: y\n',
      { a: { b: 'x', c: 'y' } },
    ],
    ['quotes', `a: 'it''s # x'\nb: "a: b"\nc: ''\n`, { a: "it's # x", b: 'a: b', c: '' }],
    [
      'words that are strings in the core schema',
      'a: yes\nb: off\nc: NaN\n',
      { a: 'yes', b: 'off', c: 'NaN' },
    ],
    ['clip, strip and keep', 'a: |\n  x\n\nb: |-\n  y\n\nc: |+\n  z\n\n', { a: 'x\n', b: 'y', c: 'z\n\n' }],
    ['keep stops at a comment', 'a: |+\n  x\n\n# c\n\nb: y\n', { a: 'x\n\n', b: 'y' }],
    ['leading empty lines and more-indented lines', 'a: |\n\n  x\n    y\n\n  z\n', { a: '\nx\n  y\n\nz\n' }],
    ['a spaces-only line deeper than the content', 'a: |\n  x\n     \n  y\n', { a: 'x\n   \ny\n' }],
    ['a block scalar in a sequence', 'a:\n- |\n x\n', { a: ['x\n'] }],
  ])('%s', (_name, text, expected) => {
    expect(parseYamlSubset(text)).toEqual(expected);
    expectAgreement(text);
  });

  it('keeps __proto__ an own key, as both full parsers do', () => {
    const value = parseYamlSubset('__proto__: x\nb:\n  __proto__:\n    c: d\n');
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.keys(value ?? {})).toEqual(['__proto__', 'b']);
    expectAgreement('__proto__: x\nb:\n  __proto__:\n    c: d\n');
  });

  it.each([
    ['empty', ''],
    ['only a comment', '# c\n'],
    ['no final newline', 'a: b'],
    // the scanner relies on every line ending with `\n` (else it would loop on this one)
    ['a comment without a newline', '# c'],
    ['a top-level sequence', '- a\n'],
    ['a top-level scalar', 'a\n'],
    ['an indented top level', '  a: b\n'],
    ['a null value', 'a:\nb: c\n'],
    ['an empty block scalar', 'a: |\nb: c\n'],
    ['a duplicate key', 'a: b\na: c\n'],
    ['a bool key', 'true: a\n'],
    ['a number', 'a: 1\n'],
    ['a null word', 'a: Null\n'],
    ['a trailing comment', 'a: b # c\n'],
    ['a multi-line plain scalar', 'a: b\n  c\n'],
    ['a folded scalar', 'a: >\n  b\n'],
    ['an indentation indicator', 'a: |2\n  b\n'],
    ['a more-indented leading empty line', 'a: |\n   \n  b\n'],
    ['a backslash in double quotes', 'a: "\\n"\n'],
    ['a tab', 'a:\tb\n'],
    ['CRLF', 'a: b\r\n'],
    ['a BOM', '\ufeffa: b\n'],
    ['non-ASCII', 'a: é\n'],
    ['a flow sequence', 'a: [b]\n'],
    ['an anchor', 'a: &x b\n'],
    ['a document marker', '---\na: b\n'],
  ])('leaves %s to the full parsers', (_name, text) => {
    expect(parseYamlSubset(text)).toBeUndefined();
  });

  it('accepts every state file of the benchmark fleet and the example', () => {
    const files = Object.entries(fleetFiles({ machines: 3, destinations: 1, states: 4 }, 'script'));
    const states = files.filter(([path]) => path.endsWith('.yaml'));
    expect(states).toHaveLength(3);
    for (const [, text] of states) expect(expectAgreement(text)).toBe(true);
    const example = readFileSync('examples/clan-storagebox/machines/jon/state.yaml', 'utf8');
    expect(expectAgreement(example)).toBe(true);
  });

  it('agrees with both full parsers on every example YAML file it accepts', () => {
    for (const file of yamlFiles('examples')) expectAgreement(readFileSync(file, 'utf8'));
  });
});

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.ya?ml$/.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name));
}

describe('hostile inputs end quickly, without a stack overflow', () => {
  it.each([
    ['20,000 nested sequences on one line', `a: \n  ${'- '.repeat(20_000)}x\n`],
    [
      '3,000 levels of indentation',
      `${Array.from({ length: 3000 }, (_, i) => `${spaces(i)}k${i}:`).join('\n')} x\n`,
    ],
    ['a 1 MB line', `a: ${'x'.repeat(1 << 20)}\n`],
    ['a 1 MB quoted line of quotes', `a: '${"''".repeat(1 << 19)}'\n`],
    [
      'a 5 MB file',
      `state:\n${Array.from({ length: 40_000 }, (_, i) => `  app${i}:\n    folders:\n      - /srv/${i}\n    preBackupScript: |\n      echo ${i}\n      true\n`).join('')}`,
    ],
    ['a 5 MB block scalar', `a: |\n${'  line\n\n'.repeat(700_000)}`],
  ])('%s', { timeout: 10_000 }, (_name, text) => {
    const value = parseYamlSubset(text);
    if (value !== undefined) expect(Object.keys(value).length).toBeGreaterThan(0);
  });

  it('parseFile refuses a deep document it accepts as nested too deep, like the full parsers', () => {
    const deep = (levels: number) =>
      `state:\n${Array.from({ length: levels }, (_, i) => `${spaces(2 * i + 2)}k:`).join('\n')} x\n`;
    expect(parseYamlSubset(deep(70))).toBeDefined();
    const result = parseFile('machines/jon/state.yaml', deep(70));
    expect(result.ok).toBe(false);
    expect(parseFile('machines/jon/state.yaml', deep(40)).ok).toBe(true);
  });
});
