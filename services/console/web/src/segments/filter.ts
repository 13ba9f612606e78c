// A segment's conditions as a person builds them, and the contact filter they make (the
// contacts service's ContactFilter: fields ANDed, `any_of` OR groups, `none_of` NOT groups).

export type Kind = "stage" | "tag" | "company" | "country" | "source" | "title" | "score_band" | "min_score" | "activity" | "custom";

export interface Condition {
  kind: Kind;
  value: string;
  name?: string; // activity: its type; custom: the field's name
}

export interface Draft {
  all: Condition[];
  any: Condition[][]; // at least one of these groups
  none: Condition[][]; // none of these groups
}

export const KINDS: { value: Kind; label: string }[] = [
  { value: "stage", label: "Lifecycle stage is" },
  { value: "tag", label: "Has the tag" },
  { value: "company", label: "Company is" },
  { value: "country", label: "Country is" },
  { value: "source", label: "Lead source is" },
  { value: "title", label: "Job title is" },
  { value: "score_band", label: "Score band is" },
  { value: "min_score", label: "Score at least" },
  { value: "activity", label: "Did at least" },
  { value: "custom", label: "Custom field" },
];

// The filter field each kind writes (where the service's errors point).
export const FIELD: Record<Kind, string> = {
  stage: "stage",
  tag: "tags",
  company: "company",
  country: "country",
  source: "source",
  title: "title",
  score_band: "score_band",
  min_score: "min_score",
  activity: "min_activity",
  custom: "custom",
};

export type Filter = Record<string, unknown>;

export function toFilter(conditions: Condition[]): Filter {
  const out: Record<string, any> = {};
  for (const c of conditions) {
    const value = c.value.trim();
    if (!value) continue;
    switch (c.kind) {
      case "stage":
      case "score_band":
        out[c.kind] = [...(out[c.kind] ?? []), value];
        break;
      case "tag":
        out.tags = [...(out.tags ?? []), value];
        break;
      case "min_score":
        out.min_score = Number(value);
        break;
      case "activity":
        out.min_activity = { ...(out.min_activity ?? {}), [c.name ?? "page_visit"]: Number(value) };
        break;
      case "custom":
        out.custom = { ...(out.custom ?? {}), [c.name ?? ""]: value };
        break;
      default:
        out[c.kind] = value;
    }
  }
  return out;
}

export function draftToFilter(draft: Draft): Filter {
  const filter = toFilter(draft.all);
  const any = draft.any.map(toFilter).filter((f) => Object.keys(f).length);
  const none = draft.none.map(toFilter).filter((f) => Object.keys(f).length);
  if (any.length) filter.any_of = any;
  if (none.length) filter.none_of = none;
  return filter;
}

// Where an error of the service lands: `filter.any_of.1.stage.0` → the "any" group 1, the
// conditions writing `stage`. Keys: "all", "any.1", "none.0"; the value: field → message.
export function errorsByGroup(fields: Record<string, string>): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const [path, message] of Object.entries(fields)) {
    const parts = path.split(".");
    if (parts[0] !== "filter") continue;
    let group = "all";
    let rest = parts.slice(1);
    if ((rest[0] === "any_of" || rest[0] === "none_of") && /^\d+$/.test(rest[1] ?? "")) {
      group = `${rest[0] === "any_of" ? "any" : "none"}.${rest[1]}`;
      rest = rest.slice(2);
    }
    const field = rest[0] ?? "_";
    (out[group] ??= {})[field] = message;
  }
  return out;
}
