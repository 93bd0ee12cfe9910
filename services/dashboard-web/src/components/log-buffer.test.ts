import { describe, expect, it } from '@jest/globals';
import { LogBuffer } from './log-buffer.js';

describe('LogBuffer', () => {
  describe('append()', () => {
    it('joins lines split across chunks and keeps the unfinished last line apart', () => {
      const b = new LogBuffer();
      b.append('one\ntw');
      b.append('o\nthr');
      expect(b.lines).toEqual(['one', 'two']);
      expect(b.tail).toBe('thr');
      expect(b.count).toBe(3);
      expect([0, 1, 2].map((i) => b.line(i))).toEqual(['one', 'two', 'thr']);
      expect(b.offset).toBe('one\ntwo\nthr'.length);
    });

    it('drops the oldest lines past the cap and counts them', () => {
      const b = new LogBuffer(100);
      for (let i = 0; i < 50; i++) b.append(`line ${String(i).padStart(3, '0')}\n`); // 9 chars each
      expect(b.dropped).toBeGreaterThan(0);
      expect(b.lines.length + b.dropped).toBe(50);
      expect(b.lines.join('\n').length).toBeLessThanOrEqual(100);
      expect(b.lines.at(-1)).toBe('line 049');
    });

    it('keeps everything under the cap', () => {
      const b = new LogBuffer(1000);
      b.append('a\nb\n');
      expect(b.dropped).toBe(0);
      expect(b.count).toBe(2);
    });
  });
});
