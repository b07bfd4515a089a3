// The guides show their examples verbatim: each example a guide links to must appear in it unchanged.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { examplesDir } from './run-example.mjs';

const guidesDir = join(examplesDir, '..', 'docs', 'guides');
const guides = readdirSync(guidesDir).filter((file) => file.endsWith('.md'));

describe('guides', () => {
  it('there are guides', () => {
    expect(guides.length).toBeGreaterThan(0);
  });

  it.each(guides)('%s shows every example it links to, as the file reads', (guide) => {
    const text = readFileSync(join(guidesDir, guide), 'utf8');
    const linked = [...text.matchAll(/\]\(\.\.\/\.\.\/examples\/([\w/.-]+.(?:mjs|sh|json))\)/g)]
      .map((match) => match[1])
      .filter((path) => !path.startsWith('test/'));
    expect(linked.length).toBeGreaterThan(0);
    for (const path of linked) {
      expect(text, `${guide} shows ${path}`).toContain(readFileSync(join(examplesDir, path), 'utf8'));
    }
  });
});
