// A workflow as automation takes it (`/v1/workflows`), edited in place by the builder: what
// the console shows is the definition itself, so a saved or ready-made workflow opens as it is.

export type TriggerKind = "interaction" | "interaction_count" | "lead_qualified" | "stage_changed" | "field_changed" | "segment_joined" | "date_offset" | "manual";
export type StepKind = "send_email" | "wait" | "wait_for" | "if" | "create_task" | "update_contact" | "assign_owner" | "webhook" | "exit";
export type Op = "equals" | "not_equals" | "contains" | "starts_with" | "in" | "gte" | "lte" | "exists";

export interface Condition {
  field: string;
  op: Op;
  value?: unknown;
}

export interface Trigger {
  type: TriggerKind;
  interaction_type?: string;
  event_name?: string;
  conditions?: Condition[];
  count?: number;
  within_days?: number;
  model_id?: string;
  to?: string;
  from?: string;
  field?: string;
  segment_id?: string;
  offset_days?: number;
}

export interface Territory {
  conditions: Condition[];
  rep_id: string;
}

export interface Step {
  id: string;
  type: StepKind;
  subject?: string; // send_email: written here…
  body?: string;
  template_id?: string; // …or a template's
  from?: string;
  seconds?: number; // wait
  interaction_type?: string; // wait_for
  event_name?: string;
  conditions?: Condition[]; // wait_for, if
  timeout_seconds?: number;
  on_timeout?: string;
  then?: string; // if
  else?: string;
  kind?: string; // create_task
  title?: string;
  due_in_hours?: number;
  set?: Record<string, unknown>; // update_contact
  add_tags?: string[];
  stage?: string;
  reps?: string[]; // assign_owner
  territories?: Territory[];
  keep_existing?: boolean;
  url?: string; // webhook
  secret?: string;
  fields?: string[];
  max_attempts?: number;
}

export interface Enrollment {
  policy: "once" | "every_time" | "once_per_days";
  days?: number;
}

export interface Definition {
  name: string;
  description?: string;
  trigger: Trigger;
  enrollment: Enrollment;
  steps: Step[];
  goal: Condition[];
}

export const TRIGGERS: { value: TriggerKind; label: string }[] = [
  { value: "interaction", label: "Someone does something" },
  { value: "interaction_count", label: "Someone does something a number of times" },
  { value: "lead_qualified", label: "A lead qualifies (reaches the score threshold)" },
  { value: "stage_changed", label: "A contact's lifecycle stage changes" },
  { value: "field_changed", label: "A contact's field changes" },
  { value: "segment_joined", label: "A contact joins a segment" },
  { value: "date_offset", label: "Days before or after a date on the contact" },
  { value: "manual", label: "Only when someone is enrolled by hand" },
];

export const STEPS: { value: StepKind; label: string }[] = [
  { value: "send_email", label: "Send an email" },
  { value: "wait", label: "Wait" },
  { value: "wait_for", label: "Wait until they do something" },
  { value: "if", label: "Continue only if" },
  { value: "create_task", label: "Create a task for the owner" },
  { value: "update_contact", label: "Update the contact" },
  { value: "assign_owner", label: "Assign an owner (round-robin)" },
  { value: "webhook", label: "Call another system (webhook)" },
  { value: "exit", label: "End the workflow here" },
];

export const POLICIES = [
  { value: "once", label: "Once per person, ever" },
  { value: "every_time", label: "Every time the trigger happens" },
  { value: "once_per_days", label: "At most once every few days" },
];

export const WEBHOOK_FIELDS = ["email", "first_name", "last_name", "company", "phone", "lifecycle_stage", "owner_id", "score", "grade", "country", "job_title"];

export const NEW_DEFINITION: Definition = {
  name: "",
  trigger: { type: "interaction_count", interaction_type: "page_visit", count: 3, within_days: 7, conditions: [] },
  enrollment: { policy: "once" },
  steps: [],
  goal: [],
};

// A trigger's own fields when its type changes (the others would be refused as unknown).
export function newTrigger(type: TriggerKind): Trigger {
  switch (type) {
    case "interaction":
      return { type, interaction_type: "form_submitted", conditions: [] };
    case "interaction_count":
      return { ...NEW_DEFINITION.trigger };
    case "lead_qualified":
      return { type, model_id: "default" };
    case "stage_changed":
      return { type, to: "lead" };
    case "field_changed":
      return { type, field: "" };
    case "segment_joined":
      return { type, segment_id: "" };
    case "date_offset":
      return { type, field: "contract_end_date", offset_days: -60 };
    default:
      return { type };
  }
}

export function newStep(type: StepKind, existing: Step[]): Step {
  let n = existing.length + 1;
  const base = type.replace("_", "-");
  while (existing.some((s) => s.id === `${base}-${n}`)) n += 1;
  const id = `${base}-${n}`;
  switch (type) {
    case "send_email":
      return { id, type, subject: "", body: "" };
    case "wait":
      return { id, type, seconds: 86400 };
    case "wait_for":
      return { id, type, interaction_type: "email_clicked", conditions: [], timeout_seconds: 3 * 86400, on_timeout: "exit" };
    case "if":
      return { id, type, conditions: [{ field: "lifecycle_stage", op: "equals", value: "lead" }], else: "exit" };
    case "create_task":
      return { id, type, title: "Call {{first_name}}", kind: "call", due_in_hours: 24 };
    case "update_contact":
      return { id, type, set: {}, add_tags: [] };
    case "assign_owner":
      return { id, type, reps: [], territories: [], keep_existing: false };
    case "webhook":
      return { id, type, url: "https://", secret: "", fields: WEBHOOK_FIELDS.slice(0, 8), max_attempts: 6 };
    default:
      return { id, type };
  }
}

// What is sent: empty optional parts left out, so the service's defaults apply.
export function toDefinition(d: Definition): Definition {
  const trigger = { ...d.trigger };
  if (trigger.conditions && !trigger.conditions.length) delete trigger.conditions;
  if (!trigger.from) delete trigger.from;
  if (!trigger.event_name) delete trigger.event_name;
  const enrollment: Enrollment = d.enrollment.policy === "once_per_days" ? d.enrollment : { policy: d.enrollment.policy };
  const steps = d.steps.map((s) => {
    const out: Step = { ...s };
    if (out.type === "send_email") {
      if (out.template_id) {
        delete out.subject;
        delete out.body;
      } else delete out.template_id;
      if (!out.from) delete out.from;
    }
    if (out.type === "if" && !out.then) delete out.then;
    if (out.type === "wait_for" && !out.on_timeout) delete out.on_timeout;
    if (out.type === "wait_for" && !out.event_name) delete out.event_name;
    if (out.type === "update_contact" && !out.stage) delete out.stage;
    if (out.type === "update_contact") out.set = Object.fromEntries(Object.entries(out.set ?? {}).filter(([k]) => k.trim()));
    return out;
  });
  const out: Definition = { name: d.name.trim() || "Untitled", trigger, enrollment, steps, goal: d.goal };
  if (d.description?.trim()) out.description = d.description.trim();
  return out;
}

// Without the nulls a stored definition spells its defaults with.
const present = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null)) as T;

// A stored definition as the builder edits it (absent lists made empty).
export function fromDefinition(raw: Partial<Definition>): Definition {
  return {
    name: raw.name ?? "",
    description: raw.description ?? "",
    trigger: present(raw.trigger ?? NEW_DEFINITION.trigger),
    enrollment: present(raw.enrollment ?? { policy: "once" }),
    steps: (raw.steps ?? []).map(present),
    goal: raw.goal ?? [],
  };
}

// A duration in seconds as an amount of the largest unit that divides it.
export const UNITS = [
  { value: "86400", label: "days" },
  { value: "3600", label: "hours" },
  { value: "60", label: "minutes" },
];
export function splitDuration(seconds: number): { amount: number; unit: number } {
  for (const u of [86400, 3600, 60]) if (seconds >= u && seconds % u === 0) return { amount: seconds / u, unit: u };
  return { amount: Math.round((seconds / 60) * 100) / 100, unit: 60 };
}

// The service's errors by where they are: `steps.2.subject` → step 2; `trigger.count` → the
// trigger; `goal.0` → the goal; a whole-definition error naming a step ("step 'mail' jumps to
// …") → that step; anything else (the name) → other.
export function stepErrors(fields: Record<string, string>, ids: string[] = []): { trigger: string[]; goal: string[]; enrollment: string[]; steps: Record<number, string[]>; other: string[] } {
  const out = { trigger: [] as string[], goal: [] as string[], enrollment: [] as string[], steps: {} as Record<number, string[]>, other: [] as string[] };
  for (const [path, message] of Object.entries(fields)) {
    const p = path.replace(/^definition\./, "");
    const m = /^steps\.(\d+)/.exec(p);
    if (m) (out.steps[Number(m[1])] ??= []).push(message);
    else if (p.startsWith("trigger")) out.trigger.push(message);
    else if (p.startsWith("goal")) out.goal.push(message);
    else if (p.startsWith("enrollment")) out.enrollment.push(message);
    else {
      const named = /step '([^']+)'/.exec(message);
      const at = named ? ids.indexOf(named[1]) : -1;
      if (at >= 0) (out.steps[at] ??= []).push(message);
      else out.other.push(p === "_" || p === "" ? message : `${p}: ${message}`);
    }
  }
  return out;
}
