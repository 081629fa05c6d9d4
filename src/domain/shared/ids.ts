/** Job ids become NATS subject tokens, so they are restricted to a safe alphabet. */
export const JOB_ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

/** True when `id` is a valid job id. */
export const isJobId = (id: string): boolean => JOB_ID_PATTERN.test(id);
