// The demo servers' worker thread: TypeScript is compiled on the fly here as in the main thread (tsx).
import { register } from 'tsx/esm/api';

register();
await import(new URL('./server-host-worker.ts', import.meta.url).href);
