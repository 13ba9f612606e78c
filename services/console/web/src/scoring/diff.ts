// What changed between two versions of a model, as lines a person reads: rules by their id
// (so reordering is not a change), every other part by its path.

export interface Change {
  what: string;
  before: string;
  after: string;
}

type Flat = Map<string, string>;

function show(value: unknown): string {
  if (value === undefined || value === null) return "—";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

function flatten(value: unknown, path: string, out: Flat): Flat {
  if (Array.isArray(value) && value.every((v) => v && typeof v === "object" && "id" in v)) {
    for (const item of value as { id: string }[]) flatten(item, `${path} “${item.id}”`, out);
  } else if (value && typeof value === "object" && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, path ? `${path} › ${k.replaceAll("_", " ")}` : k.replaceAll("_", " "), out);
  } else if (!(value === null || value === undefined)) {
    out.set(path, show(value));
  }
  return out;
}

// Lists of rules: a rule added or removed whole is one line, not one per field.
const LISTS: Record<string, string> = { rules: "rule", fit_rules: "fit rule" };
type Named = { id: string; name?: string };

export function diff(before: Record<string, unknown>, after: Record<string, unknown>): Change[] {
  const whole: Change[] = [];
  const skip: string[] = [];
  for (const [key, label] of Object.entries(LISTS)) {
    const a = new Map(((before[key] as Named[]) ?? []).map((r) => [r.id, r]));
    const b = new Map(((after[key] as Named[]) ?? []).map((r) => [r.id, r]));
    for (const [id, r] of b) if (!a.has(id)) whole.push({ what: `${label} “${id}” added`, before: "—", after: r.name ?? id });
    for (const [id, r] of a) if (!b.has(id)) whole.push({ what: `${label} “${id}” removed`, before: r.name ?? id, after: "—" });
    for (const id of [...a.keys(), ...b.keys()]) if (!(a.has(id) && b.has(id))) skip.push(`${key.replaceAll("_", " ")} “${id}”`);
  }
  const a = flatten(before, "", new Map());
  const b = flatten(after, "", new Map());
  const paths = [...new Set([...a.keys(), ...b.keys()])].filter((p) => !skip.some((s) => p.startsWith(s)));
  return [...whole, ...paths.filter((p) => a.get(p) !== b.get(p)).map((p) => ({ what: p, before: a.get(p) ?? "—", after: b.get(p) ?? "—" }))];
}
