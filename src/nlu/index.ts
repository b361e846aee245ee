// The understanding layer's public surface (language, intents, entities, red flags).
export * from './types.js';
export { detectRedFlags } from './redflags/index.js';
