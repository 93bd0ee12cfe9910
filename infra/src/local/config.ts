import { z } from 'zod';
import { BaseEnv } from '@outpost/shared';

const PORT_RULE = 'must be a port number from 0 to 65535 (0: any free port)';
const port = (fallback: number, what: string) =>
  z.coerce
    .number({ error: PORT_RULE })
    .int({ error: PORT_RULE })
    .min(0, { error: PORT_RULE })
    .max(65_535, { error: PORT_RULE })
    .default(fallback)
    .describe(`${what} (0: any free port).`);

/** Variables of `npm start` (the local stack launcher), on top of the shared ones. */
export const LocalStackEnv = BaseEnv.extend({
  OUTPOST_EDGE_PORT: port(7400, 'Port of the MCP edge on 127.0.0.1'),
  OUTPOST_DYNAMODB_PORT: port(7401, 'Port of the local DynamoDB emulator (dynalite)'),
  OUTPOST_SQS_PORT: port(7402, 'Port of the local SQS and S3 emulator (fauxqs)'),
  OUTPOST_AGENT_CACHE: z
    .string()
    .min(1)
    .optional()
    .describe(
      'Where `npm run agents -- install` (and the agent test suite) put the pinned agent CLIs, and where `npm start` finds them. ' +
        'Default `/var/cache/outpost/agents` as root (agents run as another user), else `~/.cache/outpost/agents`.',
    ),
});
export type LocalStackEnv = z.infer<typeof LocalStackEnv>;
