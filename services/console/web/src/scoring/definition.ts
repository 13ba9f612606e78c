// A scoring model as scoring takes it (`/v1/scoring-models`), edited in place by the console.
import type { Condition } from "../workflows/definition";
import type { components } from "../generated/scoring";

export interface Cap {
  max_points: number;
  per: "day" | "week";
}

export interface Rule {
  id: string;
  name: string;
  interaction_type?: string | null;
  event_name?: string | null;
  conditions?: Condition[];
  points: number;
  cap?: Cap | null;
}

export interface FitRule {
  id: string;
  name: string;
  conditions: Condition[];
  points: number;
}

export interface Decay {
  type: "none" | "half_life" | "inactivity";
  days?: number | null;
  factor?: number | null;
}

export interface Definition {
  name: string;
  description?: string | null;
  active: boolean;
  rules: Rule[];
  fit_rules: FitRule[];
  grade_bands: Record<string, number>;
  decay: Decay;
  threshold?: { score: number; min_grade: string } | null;
  bands: Record<string, number>;
}

export type Job = components["schemas"]["Job"];

// Saved models and versions as the service answers them, their definitions (free-form in the
// API: stored versions may predate today's rules) read as the editor's draft.
type Saved<T> = Omit<T, "definition"> & { definition: Definition };
export type Model = Saved<components["schemas"]["ModelOut"]>;
export const asDrafts = <T extends { definition: unknown }>(answer: T[]) => answer as unknown as Saved<T>[];

export const GRADES = ["A", "B", "C", "D", "E"];

export const NEW_MODEL: Definition = {
  name: "",
  active: true,
  rules: [],
  fit_rules: [],
  grade_bands: { A: 60, B: 40, C: 20, D: 10, E: 0 },
  decay: { type: "half_life", days: 30 },
  threshold: { score: 50, min_grade: "C" },
  bands: { hot: 100, warm: 50, cold: -1e9 },
};

// A fresh id for a new rule, unused in `taken`.
export function freshId(prefix: string, taken: { id: string }[]): string {
  let n = taken.length + 1;
  while (taken.some((r) => r.id === `${prefix}-${n}`)) n += 1;
  return `${prefix}-${n}`;
}

// Where the service says a draft is wrong: `rules.2.points` → behaviour rule 2, `fit_rules.0`
// → fit rule 0, a whole-model message naming a rule ("rule 'x' awards 0 points") → that rule,
// the rest (grade bands, decay, threshold, bands, name) by their section.
export interface Problems {
  rules: Record<number, string[]>;
  fit: Record<number, string[]>;
  sections: Record<string, string[]>;
}

export function problems(fields: Record<string, string>, d: Definition): Problems {
  const out: Problems = { rules: {}, fit: {}, sections: {} };
  for (const [raw, message] of Object.entries(fields)) {
    const path = raw.replace(/^definition\./, "");
    let m = /^rules\.(\d+)/.exec(path);
    if (m) {
      (out.rules[Number(m[1])] ??= []).push(message);
      continue;
    }
    m = /^fit_rules\.(\d+)/.exec(path);
    if (m) {
      (out.fit[Number(m[1])] ??= []).push(message);
      continue;
    }
    const named = /^(fit rule|rule) (?:id )?'([^']+)'/.exec(message);
    if (named) {
      const list = named[1] === "rule" ? d.rules : d.fit_rules;
      const at = list.findIndex((r) => r.id === named[2]);
      if (at >= 0) {
        (named[1] === "rule" ? out.rules : out.fit)[at] ??= [];
        (named[1] === "rule" ? out.rules : out.fit)[at].push(message);
        continue;
      }
    }
    const section = /^(grade_bands|decay|threshold|bands|name)/.exec(path)?.[1] ?? (/grade_bands/.test(message) ? "grade_bands" : /bands/.test(message) ? "bands" : /decay/.test(message) ? "decay" : "other");
    (out.sections[section] ??= []).push(message);
  }
  return out;
}
