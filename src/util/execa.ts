/**
 * execa, imported when first used: in the bundled CLI a module reached only through import() runs
 * its top level then, so execa (and yoctocolors, which asks the terminal for its colours at load)
 * is initialised only by commands that run a process.
 */
export async function loadExeca(): Promise<typeof import('execa').execa> {
  return (await import('execa')).execa;
}
