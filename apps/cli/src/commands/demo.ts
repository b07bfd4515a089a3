// Placeholder until the 'demo' command lands; it fails loudly rather than pretending to work.
export async function run(_args: string[]): Promise<number> {
  process.stderr.write('lock demo: not built yet\n');
  return 1;
}
