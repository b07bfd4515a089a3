import { describe, expect, it } from 'vitest';
import { Selector } from '../src/index.js';

describe('route cache', () => {
  it('a hot name is judged once, and extra needs are judged on their own every time', async () => {
    const selector = await Selector.create();
    try {
      const explain = selector.explain.bind(selector);
      let judged = 0;
      Reflect.set(selector, 'explain', (...args: Parameters<typeof explain>) => {
        judged += 1;
        return explain(...args);
      });
      for (let index = 0; index < 5; index += 1) {
        expect(selector.lock('hot').capabilities.backend).toBe('mutex');
      }
      expect(judged).toBe(1);
      // The same name with a call's own needs is another choice, never served from the cache.
      expect(selector.lock('hot', undefined, { scope: 'host' }).capabilities.backend).toBe('file');
      expect(selector.lock('hot', undefined, { scope: 'host' }).capabilities.backend).toBe('file');
      expect(judged).toBe(3);
      expect(selector.lock('hot').capabilities.backend).toBe('mutex');
      expect(judged).toBe(3);
    } finally {
      await selector.close();
    }
  });
});
