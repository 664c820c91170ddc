// The reserved-key walk keeps one path and copies it only for a finding: each finding must name
// its own path, also after arrays and nested objects were walked before it.
import { describe, expect, it } from 'vitest';
import { parseFile } from '../../../src/config/document.js';
import { reservedKeys } from '../../../src/config/reserved-keys.js';

function parsed(text: string) {
  const result = parseFile('machines/jon/state.yaml', text);
  if (!result.ok) throw new Error('does not parse');
  return result.parsed;
}

describe('reservedKeys', () => {
  it('names each reserved key by its whole path, in lists and after siblings', () => {
    const file = parsed(
      [
        'state:',
        '  app:',
        '    folders:',
        '      - /srv/a',
        '      - deep: { toString: 1 }',
        '      - [ { valueOf: 2 } ]',
        '    constructor: x',
        '  db:',
        '    hasOwnProperty: y',
        '',
      ].join('\n'),
    );
    expect(reservedKeys(file).map((p) => `${p.line}: ${p.path}`)).toEqual([
      '5: state.app.folders.1.deep.toString',
      '6: state.app.folders.2.0.valueOf',
      '7: state.app.constructor',
      '9: state.db.hasOwnProperty',
    ]);
  });

  it('does not walk into a reserved key’s value', () => {
    const file = parsed('state:\n  constructor:\n    toString: 1\n');
    expect(reservedKeys(file).map((p) => p.path)).toEqual(['state.constructor']);
  });
});
