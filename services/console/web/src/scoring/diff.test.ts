import { describe, expect, it } from "vitest";
import { diff } from "./diff";
import { NEW_MODEL, problems } from "./definition";

describe("what changed between two versions of a model", () => {
  const before = { ...NEW_MODEL, rules: [{ id: "a", name: "Visit", interaction_type: "page_visit", points: 1 }, { id: "b", name: "Form", interaction_type: "form_submitted", points: 20 }] };
  const after = { ...NEW_MODEL, rules: [{ id: "b", name: "Form", interaction_type: "form_submitted", points: 25 }, { id: "c", name: "Call", interaction_type: "call_logged", points: 10 }] };

  it("reads a rule added or removed as one line, and a changed field by the rule's id", () => {
    const lines = diff(before as never, after as never);
    expect(lines).toContainEqual({ what: "rule “c” added", before: "—", after: "Call" });
    expect(lines).toContainEqual({ what: "rule “a” removed", before: "Visit", after: "—" });
    expect(lines).toContainEqual({ what: "rules “b” › points", before: "20", after: "25" });
    expect(lines.filter((l) => l.what.includes("“c” ›"))).toEqual([]);
  });

  it("finds nothing between a model and itself, whatever its rules' order", () => {
    const reordered = { ...after, rules: [...after.rules].reverse() };
    expect(diff(after as never, reordered as never)).toEqual([]);
  });
});

describe("where a draft model is wrong", () => {
  it("at the rule by index or by the id a message names, else in its section", () => {
    const d = { ...NEW_MODEL, rules: [{ id: "x", name: "X", points: 0 }], fit_rules: [{ id: "f", name: "F", conditions: [], points: 1 }] };
    const found = problems(
      {
        "rules.0.points": "must not be 0",
        _: "fit rule id 'f' is used twice",
        grade_bands: "grade_bands must not increase from A to E",
        "decay.days": "decay needs days",
      },
      d as never,
    );
    expect(found.rules).toEqual({ 0: ["must not be 0"] });
    expect(found.fit).toEqual({ 0: ["fit rule id 'f' is used twice"] });
    expect(found.sections.grade_bands).toEqual(["grade_bands must not increase from A to E"]);
    expect(found.sections.decay).toEqual(["decay needs days"]);
  });
});
