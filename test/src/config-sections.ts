import { BaseEnv } from '@outpost/shared';
import { LocalStackEnv } from '@outpost/infra/local';
import type { EnvSection } from './config-docs.js';

/** Every env schema in the repo, in the order the reference lists them. */
export const CONFIG_SECTIONS: readonly EnvSection[] = [
  { title: 'Shared', readBy: 'every service and the admin commands', schema: BaseEnv },
  { title: 'Local stack (`npm start`)', readBy: 'the local launcher', schema: LocalStackEnv },
];
