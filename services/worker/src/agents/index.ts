import type { AgentName } from '@outpost/shared';
import { aiderAdapter } from './aider.js';
import { claudeAdapter } from './claude.js';
import { codexAdapter } from './codex.js';
import { geminiAdapter } from './gemini.js';
import { grokAdapter } from './grok.js';
import { shellAdapter } from './shell.js';
import type { AgentAdapter } from './types.js';

/** Every adapter, by agent name. */
export const ADAPTERS: Record<AgentName, AgentAdapter> = {
  claude: claudeAdapter,
  codex: codexAdapter,
  gemini: geminiAdapter,
  aider: aiderAdapter,
  grok: grokAdapter,
  shell: shellAdapter,
};

export { aiderAdapter, claudeAdapter, codexAdapter, geminiAdapter, grokAdapter, shellAdapter };
export type { AgentAdapter, AgentInvocation, AgentResult, OutputParser } from './types.js';
