import { MantineProvider } from "@mantine/core";
import { fireEvent, render, screen } from "@testing-library/react";
import { useState } from "react";
import { describe, expect, it } from "vitest";
import type { Condition } from "../workflows/definition";
import { Conditions, CONTACT_FIELDS } from "./Conditions";

function Harness({ initial, seen }: { initial: Condition[]; seen: Condition[][] }) {
  const [conditions, setConditions] = useState(initial);
  return (
    <MantineProvider>
      <Conditions
        conditions={conditions}
        label="Goal condition"
        fields={CONTACT_FIELDS}
        onChange={(c) => {
          seen.push(c);
          setConditions(c);
        }}
      />
    </MantineProvider>
  );
}

describe("the conditions editor", () => {
  it("adds a condition and removes one", () => {
    const seen: Condition[][] = [];
    render(<Harness initial={[]} seen={seen} />);
    fireEvent.click(screen.getByRole("button", { name: "Add a condition (Goal condition)" }));
    expect(seen.at(-1)).toEqual([{ field: "lifecycle_stage", op: "equals", value: "" }]);
    fireEvent.click(screen.getByRole("button", { name: "Remove Goal condition 1" }));
    expect(seen.at(-1)).toEqual([]);
  });

  it("gives each test the value it needs: text for 'is', a number for 'at least', a list for 'one of'", () => {
    const seen: Condition[][] = [];
    render(<Harness initial={[{ field: "score", op: "equals", value: "80" }]} seen={seen} />);
    fireEvent.change(screen.getByRole("textbox", { name: "Goal condition 1 value" }), { target: { value: "90" } });
    expect(seen.at(-1)).toEqual([{ field: "score", op: "equals", value: "90" }]);
    // "is at least" takes a number: the text typed becomes one.
    fireEvent.click(screen.getByRole("combobox", { name: "Goal condition 1 test" }));
    fireEvent.click(screen.getByRole("option", { name: "is at least" }));
    expect(seen.at(-1)).toEqual([{ field: "score", op: "gte", value: 90 }]);
    // "is one of" takes a list.
    fireEvent.click(screen.getByRole("combobox", { name: "Goal condition 1 test" }));
    fireEvent.click(screen.getByRole("option", { name: "is one of" }));
    expect(seen.at(-1)).toEqual([{ field: "score", op: "in", value: ["90"] }]);
  });
});
