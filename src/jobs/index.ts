// The jobs domain's public surface: the PostgreSQL job queue (pg-boss) for everything scheduled, and the
// hand-written loops kept for ordered and paced work (see loop.ts for why they remain).
export { defineJob, JobQueue, jobId, JOB_SCHEMA, type EnqueueOptions, type JobContext, type JobDefinition, type JobOptions, type JobQueueOptions } from './queue.js';
export { loopWorker, startLoop, type Loop, type LoopOptions } from './loop.js';
