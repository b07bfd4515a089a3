// Placeholder until the 'run' command lands; it fails loudly rather than pretending to work.
export async function run(_args: string[]): Promise<number> {
  process.stderr.write('lock run: not built yet\n');
  return 1;
}
