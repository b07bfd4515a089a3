// Placeholder until the 'explain' command lands; it fails loudly rather than pretending to work.
export async function run(_args: string[]): Promise<number> {
  process.stderr.write('lock explain: not built yet\n');
  return 1;
}
