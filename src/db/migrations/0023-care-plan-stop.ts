// Care plans in the staff console (issue 15): a plan stopped by staff says when, by whom and why. The why is
// a code, never free text (free text about a patient's medication is PHI, and this column is not sealed).
// A plan whose schedule simply ran out is not "stopped": it has no stopped_at.
export const STOP_REASONS = ['completed', 'side_effects', 'patient_request', 'clinician_decision', 'replaced', 'other'] as const;

export const carePlanStop: readonly string[] = [
  `alter table care_plans add column stopped_at timestamptz`,
  `alter table care_plans add column stopped_by text`,
  `alter table care_plans add column stop_reason text check (stop_reason in (${STOP_REASONS.map((r) => `'${r}'`).join(', ')}))`,
];
