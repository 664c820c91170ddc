import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import {
  combinedJsonSchema,
  jsonSchemaOf,
  SCHEMA_FILES,
  type SchemaFile,
} from '../../../src/config/json-schema.js';
import { BorgopsError } from '../../../src/errors.js';
import { type Io, printJson } from '../io.js';

export function registerSchema(program: Command, io: Io): void {
  program
    .command('schema')
    .description('print the JSON Schema of inventory and state files (for editor completion and checks)')
    .argument(
      '[file]',
      `one file's schema: ${Object.keys(SCHEMA_FILES).join(' or ')} (default: one schema accepting both)`,
    )
    .option(
      '--out-dir <dir>',
      'write inventory.schema.json and state.schema.json into DIR instead of printing',
    )
    .action(async (file: string | undefined, options: { outDir?: string }) => {
      if (file !== undefined && !(file in SCHEMA_FILES)) {
        throw new BorgopsError(
          'E_USAGE',
          `unknown schema "${file}"; accepted: ${Object.keys(SCHEMA_FILES).join(', ')}`,
        );
      }
      if (options.outDir !== undefined) {
        await mkdir(options.outDir, { recursive: true });
        for (const name of Object.keys(SCHEMA_FILES) as SchemaFile[]) {
          const path = join(options.outDir, `${name}.schema.json`);
          await writeFile(path, `${JSON.stringify(jsonSchemaOf(name), null, 2)}\n`);
          io.out(`wrote ${path}\n`);
        }
        return;
      }
      printJson(io, file === undefined ? combinedJsonSchema() : jsonSchemaOf(file as SchemaFile));
    });
}
