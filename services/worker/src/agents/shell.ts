import type { AgentAdapter, AgentResult, OutputParser } from './types.js';
import { clip, TailLines } from './types.js';

/** `shell`: the task is a POSIX shell script, run with `sh -c`. Its last lines are the final message. */
export const shellAdapter: AgentAdapter = {
  name: 'shell',
  // A large script runs from its file (`sh <file>`), so its own stdin stays free.
  args: ({ task, taskFile }) => (taskFile ? [taskFile] : ['-c', task]),
  largeTask: 'file',
  probeArgs: ['-c', 'exit 0'],
  parser: () => new ShellParser(),
};

class ShellParser implements OutputParser {
  private tail = new TailLines(20);
  line(text: string, stream: 'out' | 'err'): void {
    if (stream === 'err') return;
    if (text.trim()) this.tail.push(text);
  }
  result(): AgentResult {
    const text = this.tail.text();
    return text ? { finalMessage: clip(text) } : {};
  }
}
