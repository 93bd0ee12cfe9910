import { z } from 'zod';

// zod's JIT probes `new Function`, which the CSP (script-src 'self', no 'unsafe-eval') refuses and
// reports as a violation. Imported first by main.tsx, so no schema is built before this is set.
z.config({ jitless: true });
