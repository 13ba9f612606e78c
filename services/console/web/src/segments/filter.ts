// A segment's conditions as a person builds them, and the contact filter they make (the
// contacts service's ContactFilter: fields ANDed, `any_of` OR groups, `none_of` NOT groups).

export type Kind =
  | "stage"
  | "tag"
  | "company"
  | "country"
  | "source"
  | "title"
  | "score_band"
  | "min_score"
  | "activity"
  | "custom"
  | "bought"
  | "bought_category"
  | "spent"
  | "active_within"
  | "inactive_for"
  | "created_within"
  | "contract_ends_within"
  | "no_purchase_for";

export interface Condition {
  kind: Kind;
  value: string;
  name?: string; // activity: its type; custom: the field's name; spent: the currency
  days?: string; // bought: within the last N days
  count?: string; // bought: at least N orders
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
  { value: "bought", label: "Bought" },
  { value: "bought_category", label: "Bought in category" },
  { value: "spent", label: "Spent in total at least" },
  { value: "active_within", label: "Active in the last" },
  { value: "inactive_for", label: "No activity for" },
  { value: "no_purchase_for", label: "No purchase for" },
  { value: "created_within", label: "Added in the last" },
  { value: "contract_ends_within", label: "Contract ends within" },
];

// The kinds of condition, grouped as a marketer looks for them.
export const KIND_GROUPS = [
  { group: "Who they are", kinds: <Kind[]>["stage", "tag", "company", "country", "source", "title", "custom"] },
  { group: "Engagement", kinds: <Kind[]>["score_band", "min_score", "activity", "active_within", "inactive_for", "created_within"] },
  { group: "Purchases", kinds: <Kind[]>["bought", "bought_category", "spent", "no_purchase_for"] },
  { group: "Contract", kinds: <Kind[]>["contract_ends_within"] },
].map(({ group, kinds }) => ({ group, items: KINDS.filter((k) => kinds.includes(k.value)) }));


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
  bought: "purchased",
  bought_category: "purchased",
  spent: "purchased",
  active_within: "dates",
  inactive_for: "dates",
  no_purchase_for: "dates",
  created_within: "dates",
  contract_ends_within: "dates",
};

// "N days" conditions as the date windows the service takes (from/to days from now).
const WINDOWS: Partial<Record<Kind, (n: number) => Record<string, unknown>>> = {
  active_within: (n) => ({ field: "last_activity_at", from_days: -n }),
  inactive_for: (n) => ({ field: "last_activity_at", to_days: -n }),
  no_purchase_for: (n) => ({ field: "last_purchase_at", to_days: -n }),
  created_within: (n) => ({ field: "created_at", from_days: -n }),
  contract_ends_within: (n) => ({ field: "contract_end_date", from_days: 0, to_days: n }),
};

function whole(text: string | undefined): number | undefined {
  const n = Number((text ?? "").trim());
  return (text ?? "").trim() && Number.isFinite(n) ? n : undefined;
}

function purchase(c: Condition): Record<string, unknown> {
  const value = c.value.trim();
  const out: Record<string, unknown> = {};
  if (c.kind === "spent") {
    out.min_spent = Number(value);
    out.currency = c.name || "USD";
    return out;
  }
  if (value) out[c.kind === "bought_category" ? "category" : "product"] = value;
  const days = whole(c.days);
  const count = whole(c.count);
  if (days !== undefined) out.within_days = days;
  if (count !== undefined) out.min_orders = count;
  return out;
}

export type Filter = Record<string, unknown>;

export function toFilter(conditions: Condition[]): Filter {
  const out: Record<string, any> = {};
  for (const c of conditions) {
    const value = c.value.trim();
    if (c.kind === "bought") {
      // No product: bought anything at all.
      out.purchased = [...(out.purchased ?? []), purchase(c)];
      continue;
    }
    if (!value) continue;
    const window = WINDOWS[c.kind];
    if (window) {
      out.dates = [...(out.dates ?? []), window(Number(value))];
      continue;
    }
    switch (c.kind) {
      case "bought_category":
      case "spent":
        out.purchased = [...(out.purchased ?? []), purchase(c)];
        break;
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

/** What the builder says of a preview: an exact count, a floor (counting stopped), or an
 * estimate from a sample of the contacts with its 99 % interval. */
export function countText(p: { members: number; exact: boolean; estimated?: boolean; low?: number | null; high?: number | null }): string {
  const n = (x: number) => x.toLocaleString("en-US");
  if (p.exact) return `${n(p.members)} contacts match now`;
  if (p.estimated && p.low != null && p.high != null)
    return `About ${n(p.members)} contacts match now (estimated from a sample: between ${n(p.low)} and ${n(p.high)}; counting them all…)`;
  return `${n(p.members)} or more contacts match now (counting them all…)`;
}
