import { anthropic } from './anthropic.js';
import { gemini } from './gemini.js';
import { openaiChat } from './openai-chat.js';
import { openaiResponses } from './openai-responses.js';
import { startModelApi as start, type ModelApi, type ProtocolHandler } from './server.js';

export const PROTOCOLS: readonly ProtocolHandler[] = [anthropic, openaiResponses, openaiChat, gemini];

/** The scripted model API with every protocol: Anthropic, OpenAI Responses and chat completions, Gemini. */
export function startScriptedModelApi(): Promise<ModelApi> {
  return start(PROTOCOLS);
}

export { toolBySuffix, turnAt, DEFAULT_USAGE, type Script, type ScriptUsage, type Turn } from './script.js';
export { strings, type Exchange, type ModelApi, type Protocol, type ProtocolHandler, type RecordedRequest } from './server.js';
export { cutOff, sendJson, sseEvent, startSse } from './http.js';
