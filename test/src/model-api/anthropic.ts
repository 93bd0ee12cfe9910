import type { ProtocolHandler } from './server.js';

/** Placeholder: answers 501 until the protocol is written. */
export const anthropic: ProtocolHandler = {
  protocol: 'anthropic',
  matches: () => false,
  handle: (x) => void x.res.writeHead(501).end(),
};
