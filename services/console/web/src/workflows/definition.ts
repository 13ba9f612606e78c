// A workflow as a marketer builds it in the console, and the definition automation takes.

export type TriggerKind = "interaction_count" | "lead_qualified" | "stage_changed" | "segment_joined" | "manual";
export type StepKind = "send_email" | "wait" | "create_task" | "assign_owner" | "if";

export interface TriggerDraft {
  type: TriggerKind;
  interaction_type: string;
  count: number;
  within_days: number;
  url_contains: string;
  to: string; // stage_changed
  model_id: string; // lead_qualified: by which scoring model
  segment_id: string; // segment_joined
}

export interface StepDraft {
  id: string;
  type: StepKind;
  subject?: string;
  body?: string;
  days?: number;
  title?: string;
  kind?: string;
  due_in_hours?: number;
  field?: string;
  value?: string;
  reps?: string[]; // assign_owner: only these (none: every available rep)
}

export const TRIGGERS: { value: TriggerKind; label: string }[] = [
  { value: "interaction_count", label: "Someone does something a number of times" },
  { value: "lead_qualified", label: "A lead qualifies (reaches the score threshold)" },
  { value: "stage_changed", label: "A contact's lifecycle stage changes" },
  { value: "segment_joined", label: "A contact joins a segment" },
  { value: "manual", label: "Only when someone is enrolled by hand" },
];

export const STEPS: { value: StepKind; label: string }[] = [
  { value: "send_email", label: "Send an email" },
  { value: "wait", label: "Wait" },
  { value: "create_task", label: "Create a task for the owner" },
  { value: "assign_owner", label: "Assign an owner (round-robin)" },
  { value: "if", label: "Continue only if" },
];

export const NEW_TRIGGER: TriggerDraft = { type: "interaction_count", interaction_type: "page_visit", count: 3, within_days: 7, url_contains: "", to: "lead", model_id: "default", segment_id: "" };

export function newStep(type: StepKind, existing: StepDraft[]): StepDraft {
  let n = existing.length + 1;
  while (existing.some((s) => s.id === `${type.replace("_", "-")}-${n}`)) n += 1;
  const id = `${type.replace("_", "-")}-${n}`;
  switch (type) {
    case "send_email":
      return { id, type, subject: "", body: "" };
    case "wait":
      return { id, type, days: 1 };
    case "create_task":
      return { id, type, title: "Call {{first_name}}", kind: "call", due_in_hours: 24 };
    case "if":
      return { id, type, field: "lifecycle_stage", value: "lead" };
    default:
      return { id, type };
  }
}

export function toDefinition(name: string, trigger: TriggerDraft, steps: StepDraft[]): Record<string, unknown> {
  let t: Record<string, unknown>;
  switch (trigger.type) {
    case "interaction_count":
      t = {
        type: "interaction_count",
        interaction_type: trigger.interaction_type,
        count: trigger.count,
        within_days: trigger.within_days,
        conditions: trigger.url_contains.trim() ? [{ field: "url", op: "contains", value: trigger.url_contains.trim() }] : [],
      };
      break;
    case "stage_changed":
      t = { type: "stage_changed", to: trigger.to };
      break;
    case "lead_qualified":
      t = { type: "lead_qualified", model_id: trigger.model_id };
      break;
    case "segment_joined":
      t = { type: "segment_joined", segment_id: trigger.segment_id };
      break;
    default:
      t = { type: trigger.type };
  }
  return {
    name,
    trigger: t,
    steps: steps.map((s) => {
      switch (s.type) {
        case "send_email":
          return { id: s.id, type: s.type, subject: s.subject, body: s.body };
        case "wait":
          return { id: s.id, type: s.type, seconds: Math.round((s.days ?? 0) * 86400) };
        case "create_task":
          return { id: s.id, type: s.type, title: s.title, kind: s.kind, due_in_hours: s.due_in_hours };
        case "if":
          return { id: s.id, type: s.type, conditions: [{ field: s.field, op: "equals", value: s.value }], else: "exit" };
        case "assign_owner":
          return { id: s.id, type: s.type, reps: s.reps ?? [] };
        default:
          return { id: s.id, type: s.type };
      }
    }),
  };
}

// The service's errors by step: `steps.2.subject` → step 2's subject; `steps.2` → step 2.
export function stepErrors(fields: Record<string, string>): { trigger: string[]; steps: Record<number, string[]>; other: string[] } {
  const out = { trigger: [] as string[], steps: {} as Record<number, string[]>, other: [] as string[] };
  for (const [path, message] of Object.entries(fields)) {
    const p = path.replace(/^definition\./, "");
    const m = /^steps\.(\d+)/.exec(p);
    if (m) (out.steps[Number(m[1])] ??= []).push(message);
    else if (p.startsWith("trigger")) out.trigger.push(message);
    else out.other.push(message);
  }
  return out;
}
