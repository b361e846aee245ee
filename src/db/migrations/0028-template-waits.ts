// A scheduled message held back because its template is still in review (PENDING, NOT_CREATED, IN_APPEAL)
// says so in its `reason` ('template_pending:<name>:<language>', src/whatsapp/template-sync.ts) and waits for
// the retry. Once the template is approved (the sync at start, a sync round, Meta's webhook), the worker's next
// round takes it at once instead of at the retry: after a restart the sync at start approves in a second what
// the first round, run before it, found still pending. These indexes find the held rows (few) without reading
// the scheduled ones (many).
export const templateWaits: readonly string[] = [
  `create index reminders_template_waits on reminders (reason) where state = 'scheduled' and reason is not null`,
  `create index care_plan_occurrences_template_waits on care_plan_occurrences (reason) where state = 'scheduled' and reason is not null`,
];
